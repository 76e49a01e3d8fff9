import { type SQL, sql } from 'drizzle-orm/sql'
import type { Failure } from '../types.js'
import { asyncCommit } from './async-commit.js'
import { notifyIds } from './notify-done.js'
import { array, type Tables } from './tables.js'

export interface Results {
  /** Jobs whose handler succeeded. */
  done: readonly number[]
  failed: readonly Failure[]
  /** Entrypoints whose successes get no log row. */
  unlogged: readonly string[]
}

/**
 * Writes a batch of results in one statement, for the rows this worker still holds (a job
 * canceled or re-picked meanwhile is left alone): successes leave the queue, failures are
 * retried (queued), held (failed) or dropped (exception). Each gets the log row of the
 * status it moved to, and waiters hear of the finished ones.
 */
export function finishJobs(t: Tables, workerId: string, r: Results, async: boolean): SQL {
  const failures = JSON.stringify(
    r.failed.map((f) => ({
      id: f.id,
      action: f.action.kind,
      delay_ms: f.action.kind === 'retry' ? f.action.delayMs : null,
      traceback: f.traceback,
    })),
  )
  const held = sql`j.worker_id = ${workerId}::uuid and j.status = 'picked'`
  return sql`
    with input as (
      select * from jsonb_to_recordset(${failures}::jsonb) as x(id bigint, action text, delay_ms float8, traceback jsonb)
    ),
    succeeded as (
      delete from ${t.jobs} j where j.id = any(${array(r.done)}::bigint[]) and ${held}
      returning j.id, j.priority, j.entrypoint, j.attempts, 'successful' as status, null::jsonb as traceback
    ),
    retried as (
      update ${t.jobs} j
      set status = 'queued', worker_id = null, updated = now(),
          execute_after = now() + input.delay_ms * interval '1 millisecond'
      from input where j.id = input.id and ${held} and input.action = 'retry'
      returning j.id, j.priority, j.entrypoint, j.attempts, 'queued' as status, input.traceback
    ),
    kept as (
      update ${t.jobs} j
      set status = 'failed', worker_id = null, updated = now()
      from input where j.id = input.id and ${held} and input.action = 'hold'
      returning j.id, j.priority, j.entrypoint, j.attempts, 'failed' as status, input.traceback
    ),
    dropped as (
      delete from ${t.jobs} j using input where j.id = input.id and ${held} and input.action = 'delete'
      returning j.id, j.priority, j.entrypoint, j.attempts, 'exception' as status, input.traceback
    ),
    failed as (select * from retried union all select * from kept union all select * from dropped),
    logged as (
      insert into ${t.log} (job_id, status, priority, entrypoint, attempts, traceback)
      select id, status::${sql.raw(`"${t.schema}".job_status`)}, priority, entrypoint, attempts, traceback from failed
      union all
      select id, 'successful', priority, entrypoint, attempts, null from succeeded
      where entrypoint <> all(${array(r.unlogged)}::text[])
    ),
    succeeded_event as (${notifyIds(t, 'done', sql`succeeded`, sql`true`, 'successful')}),
    failed_event as (${notifyIds(t, 'done', sql`failed`, sql`status <> 'queued'`)})
    select r.id, r.status from (select id, status from succeeded union all select id, status from failed) r
    where (select count(*) from succeeded_event) + (select count(*) from failed_event) >= 0 and ${asyncCommit(async)}`
}
