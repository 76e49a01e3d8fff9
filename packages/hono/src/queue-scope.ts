import type { MiddlewareHandler } from 'hono'
import { afterResponse } from './context.js'

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
    const scope = scopeFor(c.env as object)
    c.set('queue', scope.queue)
    try {
      await next()
    } finally {
      if (scope.end) await afterResponse(c, () => scope.end!())
    }
  }
}
