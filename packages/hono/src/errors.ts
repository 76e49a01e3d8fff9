import type { Context, ErrorHandler } from 'hono'
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
 * pgq's InvalidJobError as a 400 issue. In a batch (`batch`: the body was an array) its path
 * is the job's index (pgq's `index`, which it may leave out for a batch of one); for a
 * single job, the body itself. The message names the field.
 */
export function invalidJob(c: Context, error: Error, batch = false): Response {
  const index = (error as { index?: unknown }).index
  const path = !batch ? '' : typeof index === 'number' ? String(index) : '0'
  return invalidRequest(c, [{ path, message: error.message }])
}

/** The library's message names its own option (onConflict); over HTTP the field is dedupe.mode. */
function duplicateJob(c: Context, dedupeKeys: string[]) {
  const message =
    `dedupe key(s) already held by a queued or running job: ${dedupeKeys.join(', ')}. ` +
    `Nothing was enqueued; send "dedupe": { "key": ..., "mode": "skip" } to enqueue the rest and get id null for these.`
  return c.json({ error: 'duplicate_job', message, dedupeKeys }, 409)
}
