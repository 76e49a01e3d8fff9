import { sql } from 'drizzle-orm/sql'
import { boolean, check, doublePrecision, integer, jsonb, text, timestamp } from 'drizzle-orm/pg-core'
import { failureAction, pgqSchema } from './pg-schema.js'

/**
 * Fleet policy: what must hold across every worker of an entrypoint. A worker's
 * registration writes what it declares; pause, resume and setEntrypointPolicy write the
 * rest. The claim reads it, so a worker that declares nothing still obeys it.
 */
export const entrypoints = pgqSchema.table(
  'entrypoints',
  {
    name: text('name').primaryKey(),
    /** Most jobs running at once across all workers; 0: no limit. */
    concurrencyLimit: integer('concurrency_limit').notNull().default(0),
    /** Most jobs started per second across all workers (a bucket in rate_limits); 0: no limit. */
    requestsPerSecond: doublePrecision('requests_per_second').notNull().default(0),
    /** No worker claims (or rescues) its jobs while set; enqueue still works. */
    paused: boolean('paused').notNull().default(false),
    /** Attempts given to jobs enqueued from now on (stored on each job); null: 1. */
    maxAttempts: integer('max_attempts'),
    /** What becomes of those jobs when their attempts run out; null: hold. */
    onExhausted: failureAction('on_exhausted'),
    /** How long its finished work is kept, where it differs from the queue's: { successful: ms | null (forever), ... }. The pruner reads it. */
    retention: jsonb('retention'),
    updated: timestamp('updated', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  () => [
    check(
      'entrypoints_policy_check',
      sql`concurrency_limit >= 0 and requests_per_second >= 0 and requests_per_second < 'Infinity' and (max_attempts is null or max_attempts >= 1)`,
    ),
  ],
)
