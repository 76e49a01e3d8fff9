import { ConfigurationError, type Duration, type Producer } from '@pgq/core/edge'
import { durationMs } from '../duration.js'
import type { RequestScope } from '../queue-scope.js'

/** What the pages read and the actions change: any `createQueue(...)` or `createProducer(...)` result fits. */
export type DashboardQueue = Pick<
  Producer,
  'overview' | 'statistics' | 'failures' | 'schedules' | 'job' | 'jobByDedupeKey' | 'status' | 'history' | 'requeue' | 'cancel' | 'pause' | 'resume'
>

/** The session and CSRF settings, shared by createDashboard and createQueueApi's `dashboard` option. */
export interface DashboardSettings {
  /** How long a login lasts. Default 12 h. */
  sessionTtl?: Duration
  /** The session cookie's Secure flag. Default: set when the request came over https (its URL or X-Forwarded-Proto). */
  secureCookie?: boolean
  /** Origins a form may be posted from (Hono's csrf option). Default: the request URL's own; set it behind a proxy that rewrites the host. */
  origin?: string | string[]
}

export type DashboardOptions<Bindings> = (
  | { queue: DashboardQueue }
  | { queueFor: (env: Bindings) => { queue: DashboardQueue; end(): Promise<void> } }
) &
  ({ token: string } | { tokenFrom: (env: Bindings) => string | undefined }) &
  DashboardSettings

/** createDashboard's options, resolved once. */
export interface DashboardConfig {
  scopeFor: (env: object) => RequestScope<DashboardQueue>
  tokenFor: (env: object) => string | undefined
  sessionTtlMs: number
  secureCookie: boolean | undefined
  origin: string | string[] | undefined
}

const DEFAULT_SESSION_TTL_MS = 12 * 3600_000
const MAX_SESSION_TTL_MS = 30 * 24 * 3600_000

export function dashboardConfig<Bindings>(options: DashboardOptions<Bindings>): DashboardConfig {
  const sessionTtlMs = options.sessionTtl === undefined ? DEFAULT_SESSION_TTL_MS : durationMs(options.sessionTtl, 'dashboard sessionTtl')
  if (sessionTtlMs > MAX_SESSION_TTL_MS) throw new ConfigurationError('dashboard sessionTtl must be at most 30 days')
  return {
    scopeFor: 'queue' in options ? () => ({ queue: options.queue, end: undefined }) : (env) => options.queueFor(env as Bindings),
    tokenFor: 'token' in options ? () => options.token : (env) => options.tokenFrom(env as Bindings),
    sessionTtlMs,
    secureCookie: options.secureCookie,
    origin: options.origin,
  }
}
