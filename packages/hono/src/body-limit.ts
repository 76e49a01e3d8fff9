import type { Context, MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { invalidRequest } from './validate.js'

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024

/** What @hono/node-server reads and discards of a body left unread before it closes the connection. */
const SERVER_DISCARDS_BYTES = 64 * 1024 * 1024

/**
 * 413 for a body over `maxBytes`. A larger Content-Length, up to what @hono/node-server
 * discards (64 MiB), is refused with the body untouched: the server reads the rest away and
 * keeps the connection, as the answer's `keep-alive` says. Past that, and for a body without
 * a Content-Length (chunked, read only up to the limit), it goes through Hono's bodyLimit and
 * the server closes the connection about 500 ms after answering. No `Connection: close`:
 * closing at once with the rest unread makes the kernel reset the connection, and the client
 * may lose the answer.
 */
export function limitBody(maxBytes: number): MiddlewareHandler {
  const tooLarge = (c: Context) => c.json({ error: 'payload_too_large', message: `the body must be at most ${maxBytes} bytes` }, 413)
  const limit = bodyLimit({ maxSize: maxBytes, onError: tooLarge })
  return async (c, next) => {
    const declared = Number(c.req.header('content-length') ?? Number.NaN)
    if (c.req.header('transfer-encoding') === undefined && declared > maxBytes && declared <= SERVER_DISCARDS_BYTES) return tooLarge(c)
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
