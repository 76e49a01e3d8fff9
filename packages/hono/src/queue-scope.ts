import type { MiddlewareHandler } from 'hono'
import { afterResponse } from './context.js'
import { logError } from './log.js'

/** A request's queue and how to release it (undefined for a long-lived queue). */
export interface RequestScope<Q> {
  queue: Q
  end: (() => Promise<void>) | undefined
}

/**
 * Sets the request's queue as `queue` and releases it after the response (Workers: in
 * waitUntil). Placed after auth, so unauthenticated traffic opens no connection.
 */
export function queueScope<Q>(scopeFor: (env: object) => RequestScope<Q>): MiddlewareHandler<{ Variables: { queue: Q } }> {
  return async (c, next) => {
    let scope: RequestScope<Q>
    try {
      scope = scopeFor(c.env as object)
    } catch (error) {
      // The deployment's queueFor made something the API cannot use: the operator's to fix, not the client's.
      if ((error as { code?: unknown }).code !== 'PGQ_CONFIGURATION') throw error
      logError(`pgq http: ${c.req.method} ${c.req.path}: the deployment's queue is misconfigured`, error)
      return c.json({ error: 'server_misconfigured', message: (error as Error).message }, 500)
    }
    c.set('queue', scope.queue)
    try {
      await next()
    } finally {
      if (scope.end) await afterResponse(c, () => scope.end!())
    }
  }
}
