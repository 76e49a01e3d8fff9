import type { Failure } from '../types.js'
import { asyncCommit } from './async-commit.js'
import { countFinished, type TallyRow } from './count-finished.js'
import { drainTailColumns } from './drain-tail.js'
import { notifyIds } from './notify-done.js'
import { numberArray } from './pg-array.js'
import type { Tables } from './tables.js'
import { type SQL, sql } from './template.js'

export interface Results {
  /** Jobs whose handler succeeded. */
  done: readonly number[]
  failed: readonly Failure[]
  /** Entrypoints whose successes get no log row. */
  unlogged: readonly string[]
  /** How long each job's handler ran, for the statistics (missing: not counted as a duration). */
  runMs?: ReadonlyMap<number, number>
  /** The JSON text of what a succeeded job's handler returned, stored in its log row (missing: null). */
  results?: ReadonlyMap<number, string>
  /** A drain's last write: also answer drainTailColumns for these entrypoints (jobs it released count as due). */
  tail?: readonly string[]
  /**
   * The statistics of the successes, added up by the worker (`jobs` of them). Used when every
   * one of `done` was still held, which is nearly always; else the statement counts the held ones itself.
   */
  tallied?: { jobs: number; rows: readonly TallyRow[] }
}

// date_part, not extract: extract computes in numeric, ~0.2 µs a row more.
const WAIT_MS = "date_part('epoch', j.updated - j.execute_after) * 1000"

/**
 * Writes a batch of results in one statement, for the rows this worker still holds (a job
 * canceled or re-picked meanwhile is left alone): successes leave the queue, failures are
 * retried (queued), held (failed) or dropped (exception). Each gets the log row of the
 * status it moved to, waiters hear of the finished ones, and this minute's statistics count
 * them (successes too, logged or not). A success's log row carries its handler's result, if any.
 * It answers with one row for the jobs this worker still held: `succeeded` (ids; null when all
 * of `done` were), `failed_ids` and `failed_statuses` (where each failure went); with the
 * drain tail's columns on request.
 *
 * One template, three variants: successes only (the usual flush), failures only, or both;
 * a part with nothing to write is left out rather than planned and run empty.
 */
export function finishJobs(t: Tables, workerId: string, r: Results, async: boolean): SQL {
  // "is not false" (status is never null) keeps the planner off the partial picked index, which
  // it prefers while its statistics say few jobs are picked, and then reads every picked row.
  const held = sql`j.worker_id = ${workerId}::uuid and (j.status = 'picked') is not false`
  const parts: { ctes: SQL[]; results: string[]; logs: SQL[]; counted: SQL[] } = { ctes: [], results: [], logs: [], counted: [] }
  const runMs = (id: number) => r.runMs?.get(id) ?? null
  let tallied: SQL | undefined
  /** Whether every one of `done` was still held (with successes to write). */
  let allHeld: SQL | undefined
  if (r.done.length > 0) {
    const done = numberArray(r.done)
    parts.ctes.push(
      sql`succeeded as (
        delete from ${t.jobs} j where j.id = any(${done}::bigint[]) and ${held}
        returning j.id, j.priority, j.entrypoint, j.attempts, 'successful' as status, ${sql.raw(WAIT_MS)} as wait_ms, j.has_dependents
      )`,
      sql`succeeded_event as (${notifyIds(t, 'done', sql`succeeded`, sql`true`, 'successful')})`,
    )
    parts.results.push('succeeded')
    const byWorker = r.tallied && r.tallied.jobs === r.done.length ? r.tallied : undefined
    allHeld = sql`(select count(*) from succeeded) = ${r.done.length}::bigint`
    parts.counted.push(sql`select s.id, s.status, s.priority, s.entrypoint, d.run_ms, s.wait_ms from succeeded s
      left join unnest(${done}::bigint[], ${numberArray(r.done.map(runMs))}::float8[]) as d(id, run_ms) on d.id = s.id
      ${byWorker ? sql`where not ${allHeld}` : sql``}`)
    if (byWorker) {
      tallied = sql`select x.entrypoint, 'successful' as status, x.priority, x.count, x.run_ms_sum, x.run_ms_max, x.run_ms_histogram,
          x.wait_ms_sum, x.wait_ms_max, x.wait_ms_histogram
        from jsonb_to_recordset(${JSON.stringify(byWorker.rows)}::jsonb) as x(entrypoint text, priority smallint, count integer,
          run_ms_sum float8, run_ms_max float8, run_ms_histogram integer[], wait_ms_sum float8, wait_ms_max float8, wait_ms_histogram integer[])
        where ${allHeld}`
    }
    // The results ride as two parallel arrays, only when some handler returned something.
    const results = r.results && r.results.size > 0 ? r.results : undefined
    parts.logs.push(
      results
        ? sql`select s.id, 'successful' as status, s.priority, s.entrypoint, s.attempts, null::jsonb as traceback, x.result from succeeded s
            left join unnest(${numberArray([...results.keys()])}::bigint[], ${[...results.values()]}::jsonb[]) as x(id, result) on x.id = s.id
            where s.entrypoint <> all(${r.unlogged}::text[])`
        : sql`select id, 'successful' as status, priority, entrypoint, attempts, null::jsonb as traceback, null::jsonb as result from succeeded
            where entrypoint <> all(${r.unlogged}::text[])`,
    )
  }
  if (r.failed.length > 0) {
    const failures = JSON.stringify(
      r.failed.map((f) => ({ id: f.id, action: f.action.kind, delay_ms: f.action.kind === 'retry' ? f.action.delayMs : null, run_ms: runMs(f.id), traceback: f.traceback })),
    )
    // The id array keeps each update an index scan whatever the planner thinks of the JSON.
    const ids = numberArray(r.failed.map((f) => f.id))
    const mine = sql`j.id = any(${ids}::bigint[]) and j.id = input.id and ${held}`
    parts.ctes.push(
      sql`input as (
        select * from jsonb_to_recordset(${failures}::jsonb) as x(id bigint, action text, delay_ms float8, run_ms float8, traceback jsonb)
      )`,
      // The rows as claimed: an update returns the new values, and the wait is from the old ones.
      sql`claimed as (select j.id, ${sql.raw(WAIT_MS)} as wait_ms from ${t.jobs} j where j.id = any(${ids}::bigint[]))`,
      sql`retried as (
        update ${t.jobs} j
        set status = 'queued', worker_id = null, updated = now(), execute_after = now() + input.delay_ms * interval '1 millisecond'
        from input where ${mine} and input.action = 'retry'
        returning j.id, j.priority, j.entrypoint, j.attempts, 'queued' as status, input.traceback, input.run_ms, j.has_dependents
      )`,
      sql`kept as (
        update ${t.jobs} j set status = 'failed', worker_id = null, updated = now()
        from input where ${mine} and input.action = 'hold'
        returning j.id, j.priority, j.entrypoint, j.attempts, 'failed' as status, input.traceback, input.run_ms, j.has_dependents
      )`,
      sql`dropped as (
        delete from ${t.jobs} j using input where ${mine} and input.action = 'delete'
        returning j.id, j.priority, j.entrypoint, j.attempts, 'exception' as status, input.traceback, input.run_ms, j.has_dependents
      )`,
      sql`failed as (select * from retried union all select * from kept union all select * from dropped)`,
      sql`failed_event as (${notifyIds(t, 'done', sql`failed`, sql`status <> 'queued'`)})`,
    )
    parts.results.push('failed')
    parts.logs.push(sql`select id, status, priority, entrypoint, attempts, traceback, null::jsonb as result from failed`)
    parts.counted.push(sql`select f.id, f.status, f.priority, f.entrypoint, f.run_ms, c.wait_ms from failed f left join claimed c on c.id = f.id`)
  }
  const events = [...parts.results.map((name) => `(select count(*) from ${name}_event)`), '(select count(*) from released)'].join(' + ')
  // One row whatever the batch (1,000 rows cost the worker ~1 µs a job to read): the ids of the
  // successes only when some were no longer held (null: all of them were), failures with the
  // status each went to.
  const succeeded = allHeld ? sql`case when ${allHeld} then null else array(select id from succeeded) end` : sql`'{}'::bigint[]`
  const failedIds = r.failed.length > 0 ? 'array(select id from failed)' : `'{}'::bigint[]`
  const failedStatuses = r.failed.length > 0 ? 'array(select status::text from failed)' : `'{}'::text[]`
  return sql`
    with ${sql.join(parts.ctes, sql`, `)},
    logged as (
      insert into ${t.log} (job_id, status, priority, entrypoint, attempts, traceback, result)
      select id, status::${sql.raw(`"${t.schema}".job_status`)}, priority, entrypoint, attempts, traceback, result
      from (${sql.join(parts.logs, sql` union all `)}) l
    ),
    counted as (${countFinished(t, sql`(${sql.join(parts.counted, sql` union all `)})`, tallied)}),
    ${releaseDependents(t, r.done.length > 0, r.failed.length > 0)}
    select ${succeeded} as succeeded, ${sql.raw(failedIds)} as failed_ids, ${sql.raw(failedStatuses)} as failed_statuses
      ${r.tail ? sql`, ${drainTailColumns(t, r.tail)}, (select coalesce(sum(n), 0)::integer from released as x(n)) as released` : sql``}
    where ${sql.raw(events)} >= 0 and ${asyncCommit(async)}`
}

/**
 * Jobs waiting for the finished ones (dependsOn): one parent fewer for the children of
 * successes (queued when none is left), and the end for those of jobs failed for good.
 * Only a job flagged has_dependents calls the function: other batches pay nothing.
 */
function releaseDependents(t: Tables, succeeded: boolean, failed: boolean): SQL {
  const none = sql`'{}'::bigint[]`
  const ok = succeeded ? sql`array(select id from succeeded where has_dependents)` : none
  const bad = failed ? sql`array(select id from failed where has_dependents and status <> 'queued')` : none
  const any = [succeeded ? 'exists (select 1 from succeeded where has_dependents)' : null, failed ? 'exists (select 1 from failed where has_dependents)' : null]
  // After `counted`, which it reads: a dependent ending with a finished job's entrypoint, status and
  // priority is counted in the same statistics row, and the function's insert must come second
  // (this statement's own, coming after, would meet a row it cannot see, and fail).
  return sql`released as (select ${t.releaseDependents}(${ok}, ${bad}) where (${sql.raw(any.filter(Boolean).join(' or '))}) and (select count(*) from counted) >= 0)`
}
