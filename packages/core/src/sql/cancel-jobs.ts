import { countFinished } from './count-finished.js'
import { notifyIds } from './notify-done.js'
import type { Tables } from './tables.js'
import { type SQL, sql } from './template.js'

/**
 * Cancel: the jobs leave the queue at once (which frees their dedupe keys), get a
 * 'canceled' log row and a count in the statistics, and workers running one (and anyone
 * waiting for one) hear a cancel event.
 */
export function cancelJobs(t: Tables, ids: number[]): SQL {
  return sql`
    with gone as (
      delete from ${t.jobs} where id = any(${ids}::bigint[])
      returning id, priority, entrypoint, attempts, status, has_dependents
    ),
    logged as (
      insert into ${t.log} (job_id, status, priority, entrypoint, attempts)
      select id, 'canceled', priority, entrypoint, attempts from gone
    ),
    notified as (${notifyIds(t, 'cancel', sql`gone`)}),
    counted as (${countFinished(t, sql`(select id, 'canceled' as status, priority, entrypoint, null::float8 as run_ms, null::float8 as wait_ms from gone)`)}),
    -- Jobs waiting for a canceled one end too (their on_parent_failure says how), after
    -- counted: see releaseDependents in finish-jobs.ts.
    released as (
      select ${t.releaseDependents}('{}'::bigint[], array(select id from gone where has_dependents))
      where exists (select 1 from gone where has_dependents) and (select count(*) from counted) >= 0
    )
    select id, status as previous_status from gone where (select count(*) from notified) + (select count(*) from released) >= 0`
}
