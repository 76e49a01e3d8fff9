import { ConfigurationError, type Duration } from '@pgq/core/edge'
import { Hono } from 'hono'
import { apiTokenAuth } from './auth.js'
import { DEFAULT_MAX_BODY_BYTES, limitBody } from './body-limit.js'
import type { PgqEnv } from './context.js'
import { type DashboardMount, dashboardMount } from './dashboard/mount.js'
import type { DashboardQueue } from './dashboard/options.js'
import { createDashboard } from './dashboard/routes.js'
import { budgetMs } from './duration.js'
import { errorsAsErrors, notFound, onError } from './errors.js'
import { checkOptionNames, exactlyOne, tokenSource } from './option-names.js'
import { flowRoutes } from './routes/flows.js'
import { jobRoutes } from './routes/jobs.js'
import { type MetricsOptions, metricsRoutes } from './routes/metrics.js'
import { queueScope } from './queue-scope.js'
import { queueRoutes } from './routes/queue.js'
import type { AppQueue, QueueScope } from './types.js'

type QueueSource<Q extends AppQueue, Bindings> =
  | {
      /** One long-lived queue (a Node host). */
      queue: Q
    }
  | {
      /** A queue per request, released after the response (Workers: the Neon Pool lives for one request). */
      queueFor: (env: Bindings) => QueueScope<Q>
    }

export type QueueApiOptions<Bindings> = (
  | (QueueSource<AppQueue, Bindings> & { dashboard?: false })
  | (QueueSource<AppQueue & DashboardQueue, Bindings> & {
      /** Serve the web dashboard: `true` at /dashboard, or `{ path, sessionTtl, secureCookie, origin }`. Same token. */
      dashboard: DashboardMount
    })
) &
  (
    | {
        token: string
      }
    | {
        /** Read the token from the bindings (a Workers secret). */
        tokenFrom: (env: Bindings) => string | undefined
      }
  ) & {
    /** Cap (and default) of POST /drain's time budget. Default 25 s, inside a Worker's limits. */
    maxDrain?: Duration
    /** Larger request bodies are refused with 413, while streaming (before they are read whole). Default 1 MiB. */
    maxBodyBytes?: number
    /** GET /metrics: text to append (a prom-client registry on Node), and whether to read table health. */
    metrics?: MetricsOptions
  }

/** What the routes call beyond a producer's methods. */
const QUEUE_METHODS = ['entrypoints', 'drain', 'fireDueSchedules', 'enqueueMany'] as const
const API_OPTIONS = ['queue', 'queueFor', 'token', 'tokenFrom', 'dashboard', 'maxDrain', 'maxBodyBytes', 'metrics']

/**
 * pgq's HTTP API as a Hono app. Every route but GET /healthz needs `Authorization: Bearer <token>`.
 * Add routes of your own to the returned app, or mount it under a path with app.route().
 */
export function createQueueApi<Bindings extends object = object>(options: QueueApiOptions<Bindings>): QueueApi<Bindings> {
  checkOptionNames(options, API_OPTIONS, 'createQueueApi')
  const source = exactlyOne(options, 'queue', 'queueFor', 'createQueueApi needs { queue } (a queue from createQueue()) or { queueFor: (env) => ({ queue, end? }) }')
  // From plain JavaScript anything may come, so the union's members are read as optional.
  const { queue, queueFor } = options as { queue?: AppQueue; queueFor?: unknown }
  if (source === 'queueFor' && typeof queueFor !== 'function') throw new ConfigurationError('createQueueApi queueFor must be a function: (env) => ({ queue, end? })')
  const tokenFor = tokenSource<Bindings>(options, 'createQueueApi')
  const checked = <S extends { queue: unknown }>(scope: S): S => {
    const missing = QUEUE_METHODS.filter((m) => typeof (scope.queue as Record<string, unknown> | null)?.[m] !== 'function')
    // A producer (createProducer()) enqueues but serves nothing: POST /jobs checks entrypoints, /drain runs them.
    if (missing.length > 0) throw new ConfigurationError(`createQueueApi needs a queue from createQueue(), with its entrypoints; this one has no ${missing.join(', ')} (a producer cannot serve the API)`)
    return scope
  }
  const perRequest = queueFor as (env: Bindings) => QueueScope<AppQueue>
  if (source === 'queue') checked({ queue })
  const scopeFor = source === 'queue' ? () => ({ queue: queue!, end: undefined }) : (env: Bindings) => checked(perRequest(env))
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1) throw new ConfigurationError(`maxBodyBytes must be a positive integer, not ${maxBodyBytes}`)
  const mount = options.dashboard === undefined || options.dashboard === false ? undefined : dashboardMount(options.dashboard)
  const app = new Hono<PgqEnv<Bindings>>()
  app.onError(onError)
  app.notFound(notFound)
  app.use(errorsAsErrors)
  app.get('/healthz', (c) => c.json({ ok: true }))
  // Before the API's bearer check: the dashboard has its own (a login cookie, or the same bearer token).
  if (mount) {
    // The option's type asked for a queue with the dashboard's methods whenever it is set.
    const dashboardSource = source === 'queue' ? { queue: queue as unknown as DashboardQueue } : { queueFor: perRequest as (env: Bindings) => QueueScope<AppQueue & DashboardQueue> }
    app.route(mount.path, createDashboard<Bindings>({ ...dashboardSource, tokenFrom: tokenFor, ...mount.settings }))
  }
  // Order matters: no body is read before the token is checked, and no queue is made for an oversized one.
  app.use(apiTokenAuth((c) => tokenFor(c.env as Bindings)))
  app.use(limitBody(maxBodyBytes))
  app.use(queueScope((env) => scopeFor(env as Bindings)))
  app.route('/', jobRoutes())
  app.route('/', flowRoutes())
  app.route('/', queueRoutes({ maxDrainMs: budgetMs(options.maxDrain ?? 25_000, 'maxDrain') }))
  app.route('/', metricsRoutes(options.metrics))
  return app
}

export type QueueApi<Bindings extends object = object> = Hono<PgqEnv<Bindings>>
