import { bigint, index, jsonb, primaryKey, smallint, text, timestamp } from 'drizzle-orm/pg-core'
import { jobStatus, pgqSchema } from './pg-schema.js'

/**
 * Append-only history: one row each time a job moves to a state worth keeping
 * (finished, failed, retried, canceled). `status` is the state the job moved to.
 */
export const log = pgqSchema.table(
  'log',
  {
    id: bigint('id', { mode: 'number' }).generatedAlwaysAsIdentity(),
    jobId: bigint('job_id', { mode: 'number' }).notNull(),
    status: jobStatus('status').notNull(),
    priority: smallint('priority').notNull(),
    entrypoint: text('entrypoint').notNull(),
    attempts: bigint('attempts', { mode: 'number' }).notNull().default(0),
    created: timestamp('created', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    // { name, message, stack, attempt, workerId, entrypoint } when the job failed.
    traceback: jsonb('traceback'),
    /** A successful run's return value (JSON, size-limited); null when it returned nothing or logSuccess is off. */
    result: jsonb('result'),
  },
  (t) => [
    // A job's history in order, and the key: a second index on id alone cost each log row
    // another btree insert (~2 µs of PostgreSQL CPU), and nothing looks rows up by id alone.
    primaryKey({ name: 'log_pkey', columns: [t.jobId, t.id] }),
    // Retention deletes by age, oldest first, in bounded batches.
    index('log_status_created_idx').on(t.status, t.created),
  ],
)
