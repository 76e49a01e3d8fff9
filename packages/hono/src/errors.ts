import type { ErrorHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'

/**
 * pgq's errors become answers a client can act on. Matched by their stable `code`, not
 * instanceof, so a second copy of @pgq/core in a bundle cannot break it.
 */
export const onError: ErrorHandler = (error, c) => {
  if (error instanceof HTTPException) return c.json({ error: 'invalid_request', message: error.message }, error.status)
  const code = (error as { code?: unknown }).code
  switch (code) {
    case 'PGQ_DUPLICATE_JOB':
      return c.json({ error: 'duplicate_job', message: error.message, dedupeKeys: (error as { dedupeKeys?: string[] }).dedupeKeys ?? [] }, 409)
    case 'PGQ_INVALID_JOB':
      return c.json({ error: 'invalid_job', message: error.message }, 400)
    case 'PGQ_CONFIGURATION':
      return c.json({ error: 'invalid_request', message: error.message }, 400)
    case 'PGQ_SCHEMA_OUTDATED':
      return c.json({ error: 'schema_outdated', message: error.message }, 503)
  }
  // Anything else may carry internals (SQL, hosts): log it, answer generically.
  console.error('pgq http: unexpected error', error)
  return c.json({ error: 'internal_error' }, 500)
}
