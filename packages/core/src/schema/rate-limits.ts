import { doublePrecision, text, timestamp } from 'drizzle-orm/pg-core'
import { pgqSchema } from './pg-schema.js'

/**
 * One token bucket per rate-limited entrypoint, shared by every worker. claim_jobs
 * (drizzle/0001) refills a bucket by elapsed time × rate, up to its burst, and spends one
 * token per job it starts; it does so under the entrypoint's advisory lock.
 * Entrypoints without a rate never get a row.
 */
export const rateLimits = pgqSchema.table('rate_limits', {
  entrypoint: text('entrypoint').primaryKey(),
  /** Fractional; below zero after stale jobs were rescued on credit (see claim_jobs). */
  tokens: doublePrecision('tokens').notNull(),
  /** The database clock at the last refill. */
  refreshedAt: timestamp('refreshed_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
})
