import type { Context, ErrorHandler, MiddlewareHandler, NotFoundHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { logError } from './log.js'
import { invalidRequest } from './validate.js'

/**
 * pgq's errors become answers a client can act on. Matched by their stable `code`, not
 * instanceof, so a second copy of @pgq/core in a bundle cannot break it. Anything else is a
 * 500 without details, logged without its message.
 */
export const onError: ErrorHandler = (error, c) => {
  if (error instanceof HTTPException) {
    return error.status === 400 ? invalidRequest(c, [{ path: '', message: error.message }]) : error.getResponse()
  }
  const code = (error as { code?: unknown }).code
  switch (code) {
    case 'PGQ_DUPLICATE_JOB':
      return duplicateJob(c, (error as { dedupeKeys?: string[] }).dedupeKeys ?? [])
    case 'PGQ_INVALID_JOB':
      return invalidJob(c, error)
    case 'PGQ_CONFIGURATION':
      return invalidRequest(c, [{ path: '', message: error.message }])
    case 'PGQ_SCHEMA_OUTDATED':
      return c.json({ error: 'schema_outdated', message: error.message }, 503)
    case 'PGQ_DATABASE_UNAVAILABLE':
      // Transient; its reason (ECONNREFUSED, 57P03) names no host. Logged for the operator.
      logError(`pgq http: ${c.req.method} ${c.req.routePath}: the database is unavailable`, error)
      c.header('Retry-After', '1')
      return c.json({ error: 'database_unavailable', message: 'The queue\'s database is unavailable; retry shortly.', reason: (error as { reason?: string }).reason }, 503)
    case 'PGQ_TRANSACTION_CONFLICT':
      // pgq already retried its own transaction; another try a moment later will most likely pass.
      c.header('Retry-After', '1')
      return c.json({ error: 'transaction_conflict', message: 'The request conflicted with another and nothing was written; retry it.' }, 503)
    case 'PGQ_DATABASE_ACCESS':
      // Not the client's to fix nor to retry: the deployment's connection string is wrong.
      logError(`pgq http: ${c.req.method} ${c.req.routePath}: the database refused the connection`, error)
      return c.json({ error: 'database_access', message: "The queue's database refused its connection (credentials or database name); the operator must fix it.", reason: (error as { reason?: string }).reason }, 503)
  }
  // Its message may carry internals (SQL, hosts) and data (parameters): neither is answered nor logged.
  logError(`pgq http: ${c.req.method} ${c.req.routePath} failed`, error)
  return c.json({ error: 'internal_error' }, 500)
}

/**
 * pgq's InvalidJobError as a 400 issue whose path is the field (pgq's `field`, as a dot path:
 * `payload.items[3]` is `payload.items.3`), after the job's index when the body was an array
 * of `batchLength` jobs (pgq's `index`; it leaves it out for a batch of one, or when it cannot tell).
 */
export function invalidJob(c: Context, error: Error, batchLength?: number): Response {
  const { index, field } = error as { index?: unknown; field?: unknown }
  const position = batchLength === undefined ? undefined : typeof index === 'number' ? index : batchLength === 1 ? 0 : undefined
  const parts = [position === undefined ? '' : String(position), typeof field === 'string' ? field.replace(/\[(\d+)\]/g, '.$1') : '']
  return invalidRequest(c, [{ path: parts.filter((p) => p !== '').join('.'), message: error.message }])
}

/**
 * Hono hands only Error instances to onError and rethrows anything else (a driver's WebSocket
 * ErrorEvent, a thrown string): no answer at all. Wrapped, it is a 500 like any other failure.
 */
export const errorsAsErrors: MiddlewareHandler = async (_c, next) => {
  try {
    await next()
  } catch (thrown) {
    throw thrown instanceof Error ? thrown : new Error('a non-Error value was thrown', { cause: thrown })
  }
}

/** A route this API does not have, as JSON like every other answer. */
export const notFound: NotFoundHandler = (c) =>
  c.json({ error: 'not_found', message: `no route ${c.req.method} ${c.req.path.slice(0, 200)}: see the README's table of routes` }, 404)

/** The library's message names its own option (onConflict); over HTTP the field is dedupe.mode. */
function duplicateJob(c: Context, dedupeKeys: string[]) {
  const message =
    `dedupe key(s) already held by a queued or running job: ${dedupeKeys.join(', ')}. ` +
    `Nothing was enqueued; send "dedupe": { "key": ..., "mode": "skip" } to enqueue the rest and get id null for these.`
  return c.json({ error: 'duplicate_job', message, dedupeKeys }, 409)
}
