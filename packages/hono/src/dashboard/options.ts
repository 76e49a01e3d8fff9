import { ConfigurationError, type Duration, type Producer } from '@pgq/core/edge'
import { durationMs } from '../duration.js'
import { checkOptionNames, exactlyOne } from '../option-names.js'
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

/** DashboardSettings' names, for the option checks of createDashboard and of createQueueApi's `dashboard`. */
export const DASHBOARD_SETTINGS = ['sessionTtl', 'secureCookie', 'origin'] as const satisfies readonly (keyof DashboardSettings)[]
const DASHBOARD_OPTIONS = ['queue', 'queueFor', 'token', 'tokenFrom', ...DASHBOARD_SETTINGS]

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
  checkOptionNames(options, DASHBOARD_OPTIONS, 'createDashboard')
  const source = exactlyOne(options, 'queue', 'queueFor', 'createDashboard needs { queue } or { queueFor: (env) => ({ queue, end }) }')
  const { queue, queueFor } = options as { queue?: DashboardQueue; queueFor?: unknown }
  if (source === 'queueFor' && typeof queueFor !== 'function') throw new ConfigurationError('createDashboard queueFor must be a function: (env) => ({ queue, end })')
  const sessionTtlMs = options.sessionTtl === undefined ? DEFAULT_SESSION_TTL_MS : durationMs(options.sessionTtl, 'dashboard sessionTtl')
  if (sessionTtlMs > MAX_SESSION_TTL_MS) throw new ConfigurationError('dashboard sessionTtl must be at most 30 days')
  return {
    scopeFor: source === 'queue' ? () => ({ queue: queue!, end: undefined }) : (env) => (queueFor as (env: Bindings) => RequestScope<DashboardQueue>)(env as Bindings),
    tokenFor: 'token' in options ? () => options.token : (env) => options.tokenFrom(env as Bindings),
    sessionTtlMs,
    secureCookie: options.secureCookie,
    origin: options.origin,
  }
}
