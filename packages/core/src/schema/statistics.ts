import { bigint, doublePrecision, integer, smallint, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'
import { jobStatus, pgqSchema } from './pg-schema.js'

/**
 * Per-minute buckets of finished work, per entrypoint, status and priority: written by the
 * statements that finish jobs (so successes count even without a log row), read by stats().
 * Durations: sum, max, and a histogram of power-of-two millisecond buckets (see sql/stats.ts).
 */
export const statistics = pgqSchema.table(
  'statistics',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    bucket: timestamp('bucket', { withTimezone: true, mode: 'date' }).notNull(),
    entrypoint: text('entrypoint').notNull(),
    status: jobStatus('status').notNull(),
    priority: smallint('priority').notNull(),
    count: integer('count').notNull(),
    /** How long the handler ran (claim to result), in milliseconds. */
    runMsSum: doublePrecision('run_ms_sum').notNull().default(0),
    runMsMax: doublePrecision('run_ms_max').notNull().default(0),
    runMsHistogram: integer('run_ms_histogram').array().notNull().default([]),
    /** How long the job waited to be claimed (due to claimed), in milliseconds. */
    waitMsSum: doublePrecision('wait_ms_sum').notNull().default(0),
    waitMsMax: doublePrecision('wait_ms_max').notNull().default(0),
    waitMsHistogram: integer('wait_ms_histogram').array().notNull().default([]),
  },
  (t) => [uniqueIndex('statistics_bucket_key').on(t.bucket, t.entrypoint, t.status, t.priority)],
)
