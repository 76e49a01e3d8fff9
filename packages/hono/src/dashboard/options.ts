import { ConfigurationError, type Duration, type Producer } from '@pgq/core/edge'
import { durationMs } from '../duration.js'
import { checkOptionNames, exactlyOne, tokenSource } from '../option-names.js'
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
  if (source === 'queue') checkDashboardQueue(queue)
  const tokenFor = tokenSource<Bindings>(options, 'createDashboard')
  const sessionTtlMs = options.sessionTtl === undefined ? DEFAULT_SESSION_TTL_MS : durationMs(options.sessionTtl, 'dashboard sessionTtl')
  if (sessionTtlMs > MAX_SESSION_TTL_MS) throw new ConfigurationError('dashboard sessionTtl must be at most 30 days')
  checkSettings(options)
  return {
    scopeFor:
      source === 'queue'
        ? () => ({ queue: queue!, end: undefined })
        : (env) => {
            const scope = (queueFor as (env: Bindings) => RequestScope<DashboardQueue>)(env as Bindings)
            checkDashboardQueue(scope?.queue)
            return scope
          },
    tokenFor: (env) => tokenFor(env as Bindings),
    sessionTtlMs,
    secureCookie: options.secureCookie,
    origin: options.origin,
  }
}

const DASHBOARD_METHODS = ['overview', 'statistics', 'failures', 'schedules', 'job', 'jobByDedupeKey', 'status', 'history', 'requeue', 'cancel', 'pause', 'resume'] as const satisfies readonly (keyof DashboardQueue)[]

/** A queue or producer that has what the pages call: anything else would be a 500 page at the first request. */
function checkDashboardQueue(queue: unknown): void {
  const missing = DASHBOARD_METHODS.filter((m) => typeof (queue as Record<string, unknown> | null | undefined)?.[m] !== 'function')
  if (missing.length > 0) throw new ConfigurationError(`createDashboard needs a queue from createQueue() or createProducer(); this one has no ${missing.join(', ')}`)
}

/** secureCookie and origin: a string 'false' would set Secure over http, an origin with a path would refuse every action. */
function checkSettings(settings: DashboardSettings): void {
  if (settings.secureCookie !== undefined && typeof settings.secureCookie !== 'boolean') throw new ConfigurationError('dashboard secureCookie must be true or false (leave it out to follow the request)')
  const { origin } = settings as { origin?: unknown }
  if (origin === undefined || typeof origin === 'function') return
  for (const o of Array.isArray(origin) ? origin : [origin]) {
    if (!isOrigin(o)) throw new ConfigurationError("dashboard origin must be an origin such as 'https://ops.example.com' (scheme and host, no path or trailing slash), or a list of them")
  }
}

function isOrigin(value: unknown): boolean {
  if (typeof value !== 'string') return false
  try {
    return new URL(value).origin === value
  } catch {
    return false
  }
}
