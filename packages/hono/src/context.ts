import type { Context } from 'hono'
import { logError } from './log.js'
import type { AppQueue } from './types.js'

/** What the routes see: the request's queue. */
export interface QueueVariables {
  Variables: { queue: AppQueue }
}

/** The Hono environment of the app: the deployment's bindings plus the request's queue. */
export interface PgqEnv<Bindings extends object = object> extends QueueVariables {
  Bindings: Bindings
}

/**
 * Runs `work` after the response: in ctx.waitUntil on Workers, awaited elsewhere (Node has
 * no execution context, and there the queue is long-lived anyway).
 */
export async function afterResponse(c: Context, work: () => Promise<void>): Promise<void> {
  const done = work().catch((error) => logError('pgq http: releasing the queue failed', error))
  let ctx: { waitUntil(p: Promise<unknown>): void } | undefined
  try {
    ctx = c.executionCtx
  } catch {
    // Hono throws when the runtime gave no execution context.
  }
  if (ctx) ctx.waitUntil(done)
  else await done
}
