// The dashboard's own icon, so a browser does not ask for /favicon.ico (which the API's bearer
// auth answers 401, a console error on every page). Public: it says nothing a login page does not.
import type { DashboardContext } from './env.js'

export const ICON_PATH = '/favicon.svg'

/** Three bars of a queue, shortening: readable at 16 px, no text (no font to depend on). */
const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#2f5fd0"/>' +
  '<rect x="3" y="3.5" width="10" height="2" rx="1" fill="#fff"/><rect x="3" y="7" width="7" height="2" rx="1" fill="#fff"/>' +
  '<rect x="3" y="10.5" width="4" height="2" rx="1" fill="#fff"/></svg>'

/** A week: it never changes within a version, and the URL carries no version to bust a longer cache. */
export const ICON_CACHE_CONTROL = 'public, max-age=604800'

export function icon(c: DashboardContext): Response {
  return c.body(ICON_SVG, 200, { 'content-type': 'image/svg+xml', 'cache-control': ICON_CACHE_CONTROL })
}
