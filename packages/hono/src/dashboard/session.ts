// The login session: a signed cookie (hono/cookie, HMAC-SHA-256 with a token-derived key)
// holding its expiry and a random id. No server-side state, so it works the same on Workers.
import { deleteCookie, getSignedCookie, setSignedCookie } from 'hono/cookie'
import type { CookieOptions } from 'hono/utils/cookie'
import { tokenMatches } from '../auth.js'
import type { DashboardContext, Session } from './env.js'
import { csrfTokenFor, randomId } from './keys.js'

export const SESSION_COOKIE = 'pgq_dashboard'
const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i

/** HttpOnly, SameSite=Strict, scoped to the dashboard's path; Secure over https unless configured. */
export function cookieOptions(c: DashboardContext, secure: boolean | undefined, maxAgeSeconds: number): CookieOptions {
  const https = new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https'
  return { path: c.get('base') || '/', httpOnly: true, sameSite: 'Strict', secure: secure ?? https, maxAge: maxAgeSeconds }
}

export async function startSession(c: DashboardContext, ttlMs: number, secure: boolean | undefined): Promise<void> {
  const value = `${Date.now() + ttlMs}.${randomId()}`
  await setSignedCookie(c, SESSION_COOKIE, value, c.get('keys').cookie, cookieOptions(c, secure, Math.floor(ttlMs / 1000)))
}

export function endSession(c: DashboardContext, secure: boolean | undefined): void {
  deleteCookie(c, SESSION_COOKIE, cookieOptions(c, secure, 0))
}

export type Authentication = { session: Session } | { refused: 'missing' | 'wrong' | 'expired' }

/** The bearer header if one is sent (it is then the only thing looked at), else the session cookie. */
export async function authenticate(c: DashboardContext, token: string): Promise<Authentication> {
  const keys = c.get('keys')
  const header = c.req.header('authorization')
  if (header !== undefined) {
    const given = BEARER.exec(header)?.[1]
    if (given === undefined || !(await tokenMatches(given, token))) return { refused: 'wrong' }
    return { session: { via: 'bearer', id: 'bearer', csrfToken: await csrfTokenFor(keys, 'bearer') } }
  }
  const value = await getSignedCookie(c, keys.cookie, SESSION_COOKIE)
  if (value === undefined) return { refused: 'missing' }
  // false: the signature did not match (another token's cookie, or an edited one).
  if (value === false) return { refused: 'expired' }
  const [expires, id] = value.split('.')
  if (!id || !(Number(expires) > Date.now())) return { refused: 'expired' }
  return { session: { via: 'cookie', id, csrfToken: await csrfTokenFor(keys, id) } }
}
