import { type SQL, sql } from 'drizzle-orm'
import type { Traceback } from '../types.js'
import { asyncCommit } from './async-commit.js'
import { notifyIds } from './notify-done.js'
import type { Tables } from './tables.js'

/** What becomes of a failed job: run again later, keep as failed, or drop. */
export type FailureAction = { kind: 'retry'; delayMs: number } | { kind: 'hold' } | { kind: 'delete' }

export interface Failure {
  id: number
  traceback: Traceback
  action: FailureAction
}

/**
 * Fail a batch in one statement. The log row takes the status the job moved to:
 * queued (a retry), failed (held) or exception (dropped).
 */
export function failJobs(t: Tables, workerId: string, failures: Failure[], async: boolean): SQL {
  const items = JSON.stringify(
    failures.map((f) => ({
      id: f.id,
      action: f.action.kind,
      delay_ms: f.action.kind === 'retry' ? f.action.delayMs : null,
      traceback: f.traceback,
    })),
  )
  const held = sql`j.worker_id = ${workerId}::uuid and j.status = 'picked' and j.id = input.id`
  return sql`
    with input as (
      select * from jsonb_to_recordset(${items}::jsonb)
        as x(id bigint, action text, delay_ms float8, traceback jsonb)
    ),
    retried as (
      update ${t.jobs} j
      set status = 'queued', worker_id = null, updated = now(),
          execute_after = now() + input.delay_ms * interval '1 millisecond'
      from input where ${held} and input.action = 'retry'
      returning j.id, j.priority, j.entrypoint, j.attempts, 'queued' as status, input.traceback
    ),
    kept as (
      update ${t.jobs} j
      set status = 'failed', worker_id = null, updated = now()
      from input where ${held} and input.action = 'hold'
      returning j.id, j.priority, j.entrypoint, j.attempts, 'failed' as status, input.traceback
    ),
    dropped as (
      delete from ${t.jobs} j using input where ${held} and input.action = 'delete'
      returning j.id, j.priority, j.entrypoint, j.attempts, 'exception' as status, input.traceback
    ),
    failed as (select * from retried union all select * from kept union all select * from dropped),
    logged as (
      insert into ${t.log} (job_id, status, priority, entrypoint, attempts, traceback)
      select id, status::text::${sql.raw(`"${t.schema}".job_status`)}, priority, entrypoint, attempts, traceback from failed
    ),
    notified as (${notifyIds(t, 'done', sql`failed`, sql`status <> 'queued'`)})
    select id, status from failed where (select count(*) from notified) >= 0 and ${asyncCommit(async)}`
}
