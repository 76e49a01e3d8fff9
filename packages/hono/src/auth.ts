import type { Context, MiddlewareHandler } from 'hono'

/**
 * Bearer-token check: 401 without a token, 403 with a wrong one. A server with no token
 * configured refuses everything (500) rather than running open.
 */
export function bearerAuth(expectedToken: (c: Context) => string | undefined): MiddlewareHandler {
  return async (c, next) => {
    const expected = expectedToken(c)
    if (!expected) return c.json({ error: 'server_misconfigured', message: 'no API token is configured on the server' }, 500)
    const given = /^Bearer +(\S+) *$/i.exec(c.req.header('authorization') ?? '')?.[1]
    if (!given) {
      c.header('WWW-Authenticate', 'Bearer realm="pgq"')
      return c.json({ error: 'unauthorized', message: 'send Authorization: Bearer <token>' }, 401)
    }
    if (!(await timingSafeEqual(given, expected))) return c.json({ error: 'forbidden', message: 'wrong token' }, 403)
    await next()
  }
}

/**
 * Compares SHA-256 digests with a loop that always runs to the end: the time depends on
 * neither where the strings differ nor their lengths. Web Crypto, so it runs on Node and Workers.
 */
export async function timingSafeEqual(a: string, b: string): Promise<boolean> {
  const encoder = new TextEncoder()
  const [da, db] = await Promise.all([
    crypto.subtle.digest('SHA-256', encoder.encode(a)),
    crypto.subtle.digest('SHA-256', encoder.encode(b)),
  ])
  const x = new Uint8Array(da)
  const y = new Uint8Array(db)
  let diff = 0
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!
  return diff === 0
}
