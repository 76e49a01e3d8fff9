// The message shown once after an action's redirect (POST, then 303, then GET): a signed
// cookie, so no other site or URL can put words on the page.
import { deleteCookie, getSignedCookie, setSignedCookie } from 'hono/cookie'
import type { DashboardContext, Flash } from './env.js'
import { cookieOptions } from './session.js'

const FLASH_COOKIE = 'pgq_flash'
const MAX_FLASH_LENGTH = 500

export async function redirectWithFlash(c: DashboardContext, location: string, flash: Flash, secure: boolean | undefined): Promise<Response> {
  const value = `${flash.kind}:${flash.text.slice(0, MAX_FLASH_LENGTH)}`
  await setSignedCookie(c, FLASH_COOKIE, value, c.get('keys').cookie, cookieOptions(c, secure, 60))
  return c.redirect(location, 303)
}

/** The pending message, if any; taken (the cookie is cleared with this response). */
export async function takeFlash(c: DashboardContext, secure: boolean | undefined): Promise<Flash | undefined> {
  const value = await getSignedCookie(c, c.get('keys').cookie, FLASH_COOKIE)
  if (value === undefined) return undefined
  deleteCookie(c, FLASH_COOKIE, cookieOptions(c, secure, 0))
  if (!value) return undefined
  const colon = value.indexOf(':')
  const kind = value.slice(0, colon)
  return kind === 'ok' || kind === 'error' ? { kind, text: value.slice(colon + 1) } : undefined
}
