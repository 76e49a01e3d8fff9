// Where an action returns to: the page its form was on, filters and all (`/dashboard/failures?
// held=held`), sent back in a hidden field. Only a path under this dashboard is followed, so a
// forged field cannot make the redirect lead to another site.
import type { DashboardContext } from './env.js'

export const BACK_FIELD = 'back'
const MAX_BACK_LENGTH = 2048
/** Parsed against a fixed origin: a value that changes it (`//evil.example`, `/\evil.example`) is another site's. */
const HERE = 'http://dashboard.invalid'

/** The page a request is for, as a same-origin path with its query: what a form on it sends as `back`. */
export function pageOf(c: DashboardContext): string {
  const url = new URL(c.req.url)
  return `${url.pathname}${url.search}`
}

/** `back` as a Location under the mount path, or undefined (missing, too long, or anywhere else). */
export function backTo(c: DashboardContext, back: unknown): string | undefined {
  if (typeof back !== 'string' || back.length > MAX_BACK_LENGTH || !back.startsWith('/')) return undefined
  let url: URL
  try {
    url = new URL(back, HERE)
  } catch {
    return undefined
  }
  const base = c.get('base')
  // Dot segments are resolved first (`/dashboard/../admin` is /admin); `//` would leave the site as a Location.
  if (url.origin !== HERE || url.pathname.startsWith('//')) return undefined
  if (url.pathname !== base && !url.pathname.startsWith(`${base}/`)) return undefined
  return `${url.pathname}${url.search}`
}
