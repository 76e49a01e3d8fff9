import { sql } from 'drizzle-orm/sql'
import { bigint, boolean, index, integer, jsonb, primaryKey, smallint, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { failureAction, jobStatus, pgqSchema } from './pg-schema.js'

const tz = { withTimezone: true, mode: 'date' } as const

/**
 * The queue: one row per job that is waiting, running, or held after failing.
 * Finished jobs leave this table; their story is in `log`.
 */
export const jobs = pgqSchema.table(
  'jobs',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    priority: smallint('priority').notNull().default(0),
    entrypoint: text('entrypoint').notNull(),
    // jsonb, not bytea: the API takes JSON values, and jsonb keeps them queryable in SQL.
    payload: jsonb('payload'),
    headers: jsonb('headers'),
    status: jobStatus('status').notNull().default('queued'),
    created: timestamp('created', tz).notNull().defaultNow(),
    updated: timestamp('updated', tz).notNull().defaultNow(),
    heartbeat: timestamp('heartbeat', tz).notNull().defaultNow(),
    executeAfter: timestamp('execute_after', tz).notNull().defaultNow(),
    workerId: uuid('worker_id'),
    /** Claims so far, stale rescues included. */
    attempts: integer('attempts').notNull().default(0),
    /** Stored at enqueue from the entrypoint's policy: the claim and the failure path read it. */
    maxAttempts: integer('max_attempts').notNull().default(1),
    onExhausted: failureAction('on_exhausted').notNull().default('hold'),
    /** How many of the attempts ended with the worker lost (no heartbeat): counted at rescue. */
    rescues: integer('rescues').notNull().default(0),
    dedupeKey: text('dedupe_key'),
    /** The handler's last ctx.progress() value, written with the heartbeats. */
    progress: jsonb('progress'),
    /** The jobs this one waited for (dependsOn), kept so it can read their results. */
    dependsOn: bigint('depends_on', { mode: 'number' }).array(),
    /** Of those, how many have not succeeded yet: status 'blocked' while above 0. */
    waitingFor: integer('waiting_for').notNull().default(0),
    /** Some job depends on this one: finishing it releases (or fails) them. */
    hasDependents: boolean('has_dependents').notNull().default(false),
    /** When a job it depends on fails for good: 'fail' (as its own attempts running out would) or 'cancel'. */
    onParentFailure: text('on_parent_failure').notNull().default('fail'),
  },
  (t) => [
    // The claim walks this per entrypoint in priority order; execute_after filters in the index.
    index('jobs_claim_idx')
      .on(t.entrypoint, t.priority.desc().nullsFirst(), t.id, t.executeAfter)
      .where(sql`status = 'queued'`),
    // Concurrency counts and stale rescue look only at running jobs.
    index('jobs_picked_heartbeat_idx').on(t.entrypoint, t.heartbeat).where(sql`status = 'picked'`),
    uniqueIndex('jobs_dedupe_key_idx')
      .on(t.dedupeKey)
      .where(sql`status in ('queued', 'picked', 'blocked') and dedupe_key is not null`),
  ],
)

/** Who waits for whom, while the parent has not finished: finishing it finds its children here. */
export const jobDependencies = pgqSchema.table(
  'job_dependencies',
  {
    parentId: bigint('parent_id', { mode: 'number' }).notNull(),
    childId: bigint('child_id', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.parentId, t.childId] }), index('job_dependencies_child_idx').on(t.childId)],
)

/** Throttled dedupe keys: a key may start one job per window (the row outlives the job). */
export const dedupeWindows = pgqSchema.table('dedupe_windows', {
  key: text('key').primaryKey(),
  expires: timestamp('expires', tz).notNull(),
})
