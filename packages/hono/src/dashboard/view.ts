import { pageOf } from './back.js'
import type { DashboardContext, Flash, Session } from './env.js'
import { to } from './env.js'

/** What every page and form needs from the request: links under the mount path, the session's CSRF token, the flash. */
export interface View {
  to(path: string): string
  /** This page's path and query: where its forms' actions redirect back to. */
  here: string
  session: Session | undefined
  flash: Flash | undefined
  now: Date
}

export function viewOf(c: DashboardContext): View {
  return { to: (path) => to(c, path), here: pageOf(c), session: c.get('session'), flash: c.get('flash'), now: new Date() }
}
