import type { Context } from 'hono'
import type { DashboardKeys } from './keys.js'
import type { DashboardQueue } from './options.js'

/** Who is looking: a cookie session (after the login form) or a request with the bearer token. */
export interface Session {
  via: 'cookie' | 'bearer'
  /** Random per login; 'bearer' for header-authenticated requests, which no other site can forge. */
  id: string
  /** What every form of this session posts back as `_csrf`. */
  csrfToken: string
}

export interface Flash {
  kind: 'ok' | 'error'
  text: string
}

export interface DashboardEnv {
  Variables: {
    queue: DashboardQueue
    /** The mount path without a trailing slash ('' at the root). */
    base: string
    keys: DashboardKeys
    session: Session | undefined
    flash: Flash | undefined
  }
}

export type DashboardContext = Context<DashboardEnv>

/** A dashboard URL: `to('/failures')` → '/dashboard/failures'; `to('')` is the overview. */
export function to(c: DashboardContext, path: string): string {
  return `${c.get('base')}${path}` || '/'
}
