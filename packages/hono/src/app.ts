import { ConfigurationError, type Duration } from '@pgq/core/edge'
import { Hono } from 'hono'
import { apiTokenAuth } from './auth.js'
import { DEFAULT_MAX_BODY_BYTES, limitBody } from './body-limit.js'
import { afterResponse, type PgqEnv } from './context.js'
import { durationMs } from './duration.js'
import { onError } from './errors.js'
import { jobRoutes } from './routes/jobs.js'
import { queueRoutes } from './routes/queue.js'
import type { AppQueue, QueueScope } from './types.js'

export type QueueApiOptions<Bindings> = (
  | {
      /** One long-lived queue (a Node host). */
      queue: AppQueue
    }
  | {
      /** A queue per request, released after the response (Workers: the Neon Pool lives for one request). */
      queueFor: (env: Bindings) => QueueScope
    }
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
  }

/**
 * pgq's HTTP API as a Hono app. Every route but GET /healthz needs `Authorization: Bearer <token>`.
 * Add routes of your own to the returned app, or mount it under a path with app.route().
 */
export function createQueueApi<Bindings extends object = object>(options: QueueApiOptions<Bindings>): QueueApi<Bindings> {
  const tokenFor = 'token' in options ? () => options.token : (env: Bindings) => options.tokenFrom(env)
  const scopeFor = 'queue' in options ? () => ({ queue: options.queue, end: undefined }) : (env: Bindings) => options.queueFor(env)
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1) throw new ConfigurationError(`maxBodyBytes must be a positive integer, not ${maxBodyBytes}`)
  const app = new Hono<PgqEnv<Bindings>>()
  app.onError(onError)
  app.get('/healthz', (c) => c.json({ ok: true }))
  // Order matters: no body is read before the token is checked, and no queue is made for an oversized one.
  app.use(apiTokenAuth((c) => tokenFor(c.env as Bindings)))
  app.use(limitBody(maxBodyBytes))
  app.use(async (c, next) => {
    const scope = scopeFor(c.env)
    c.set('queue', scope.queue)
    try {
      await next()
    } finally {
      if (scope.end) await afterResponse(c, () => scope.end!())
    }
  })
  app.route('/', jobRoutes())
  app.route('/', queueRoutes({ maxDrainMs: durationMs(options.maxDrain ?? 25_000, 'maxDrain') }))
  return app
}

export type QueueApi<Bindings extends object = object> = Hono<PgqEnv<Bindings>>
