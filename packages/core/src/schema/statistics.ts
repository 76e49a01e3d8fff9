import { bigint, integer, smallint, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'
import { jobStatus, pgqSchema } from './pg-schema.js'

/** Per-second buckets of finished-job counts, folded from `log` by the stats service. */
export const statistics = pgqSchema.table(
  'statistics',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    bucket: timestamp('bucket', { withTimezone: true, mode: 'date' }).notNull(),
    entrypoint: text('entrypoint').notNull(),
    status: jobStatus('status').notNull(),
    priority: smallint('priority').notNull(),
    count: integer('count').notNull(),
  },
  (t) => [uniqueIndex('statistics_bucket_key').on(t.bucket, t.entrypoint, t.status, t.priority)],
)
