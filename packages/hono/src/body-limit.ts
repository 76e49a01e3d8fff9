import type { Context, MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { invalidRequest } from './validate.js'

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024

/**
 * 413 for a body over `maxBytes`. A larger Content-Length is refused before a byte is read,
 * the body untouched, so @hono/node-server can discard the rest (up to 64 MiB) and keep the
 * connection, as the answer says. A body without one (chunked) is read through Hono's
 * bodyLimit only up to the limit; its rest is unread, so that answer says `Connection: close`
 * (a client reusing the connection would lose its next request).
 */
export function limitBody(maxBytes: number): MiddlewareHandler {
  const tooLarge = (c: Context) => c.json({ error: 'payload_too_large', message: `the body must be at most ${maxBytes} bytes` }, 413)
  const limit = bodyLimit({
    maxSize: maxBytes,
    onError: (c) => {
      c.header('connection', 'close')
      return tooLarge(c)
    },
  })
  return async (c, next) => {
    const declared = c.req.header('content-length')
    if (declared !== undefined && c.req.header('transfer-encoding') === undefined && Number(declared) > maxBytes) return tooLarge(c)
    let reached = false
    try {
      return await limit(c, () => {
        reached = true
        return next()
      })
    } catch (error) {
      if (reached) throw error
      // The client broke off (a reset) while its chunked body streamed in: its fault, not a server failure.
      return invalidRequest(c, [{ path: '', message: 'the body was cut off before its end' }])
    }
  }
}
