import type { Context, MiddlewareHandler } from 'hono'
import { bearerAuth } from 'hono/bearer-auth'
import { HTTPException } from 'hono/http-exception'
import { timingSafeEqual } from 'hono/utils/buffer'

const REALM = 'pgq'
const UNAUTHORIZED = { error: 'unauthorized', message: 'send Authorization: Bearer <token>' }
const FORBIDDEN = { error: 'forbidden', message: 'wrong token' }
/** What Hono's bearerAuth accepts as a token (RFC 6750's b64token); a server token outside it could never match. */
const TOKEN68 = /^[A-Za-z0-9._~+/-]+=*$/

/**
 * Hono's bearerAuth, answering as pgq does: 401 without a token (or with a header that does not
 * carry one), 403 with a wrong one. The wrapper adds what bearerAuth has no option for: a
 * server with no usable token configured refuses everything (500) rather than running open.
 */
export function apiTokenAuth(expectedToken: (c: Context) => string | undefined): MiddlewareHandler {
  const check = bearerAuth({
    realm: REALM,
    verifyToken: async (given, c) => {
      if (await tokenMatches(given, expectedToken(c) ?? '')) return true
      // Thrown, not left to `invalidToken`: bearerAuth would add `WWW-Authenticate: Bearer error="invalid_token"` to the 403.
      throw new HTTPException(403, { res: c.json(FORBIDDEN, 403) })
    },
    noAuthenticationHeader: { message: UNAUTHORIZED },
    // bearerAuth answers 400 for a header that is not `Bearer <token>`; a Response message brings its own status.
    invalidAuthenticationHeader: { wwwAuthenticateHeader: `Bearer realm="${REALM}"`, message: (c) => c.json(UNAUTHORIZED, 401) },
  })
  return async (c, next) => {
    const problem = tokenProblem(expectedToken(c))
    if (problem) return c.json({ error: 'server_misconfigured', message: problem }, 500)
    return check(c, next)
  }
}

/** Why the server's token cannot be used (none, or one no bearer header can carry), or null. */
export function tokenProblem(expected: string | undefined): string | null {
  if (!expected) return 'no API token is configured on the server'
  if (!TOKEN68.test(expected)) return 'the API token configured on the server cannot be sent as a bearer token: use only A-Z a-z 0-9 - . _ ~ + / (and = at the end)'
  return null
}

/** Constant-time comparison of a token someone sent with the server's (bearerAuth's own comparison). */
export function tokenMatches(given: string, expected: string): Promise<boolean> {
  return timingSafeEqual(given, expected)
}
