import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { invalidRequest } from './validate.js'

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024

/**
 * 413 for a body over `maxBytes`, through Hono's bodyLimit: a larger Content-Length is refused
 * before a byte is read, and a body without one (chunked) is read only up to the limit.
 * No `Connection: close`: closing with the rest unread makes the kernel reset the connection,
 * and the client may lose the answer; @hono/node-server discards the rest, then closes.
 */
export function limitBody(maxBytes: number): MiddlewareHandler {
  const limit = bodyLimit({
    maxSize: maxBytes,
    onError: (c) => c.json({ error: 'payload_too_large', message: `the body must be at most ${maxBytes} bytes` }, 413),
  })
  return async (c, next) => {
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
