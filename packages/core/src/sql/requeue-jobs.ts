import { notifyInserted } from './notify-done.js'
import type { Tables } from './tables.js'
import { type SQL, sql } from './template.js'

/**
 * Requeue held (failed) jobs: all of them, of some entrypoints, or by id. Attempts start
 * again from zero (the log keeps the history); waiting workers are woken. A held job does
 * not hold its dedupe key: one whose key another job holds again stays held (as do all but
 * the oldest of held jobs sharing a key), so the others are requeued, not refused with it.
 */
export function requeueFailedJobs(t: Tables, filter: { ids?: number[]; entrypoints?: string[] }): SQL {
  return sql`
    with chosen as (
      select j.id, j.dedupe_key from ${t.jobs} j
      where j.status = 'failed'
        and (${filter.ids ?? null}::bigint[] is null or j.id = any(${filter.ids ?? null}::bigint[]))
        and (${filter.entrypoints ?? null}::text[] is null or j.entrypoint = any(${filter.entrypoints ?? null}::text[]))
    ),
    free as (
      select id from chosen where dedupe_key is null
      union all
      (select distinct on (c.dedupe_key) c.id from chosen c
       where c.dedupe_key is not null and not exists (
         select 1 from ${t.jobs} o where o.dedupe_key = c.dedupe_key and o.status in ('queued', 'picked', 'blocked'))
       order by c.dedupe_key, c.id)
    ),
    again as (
      update ${t.jobs}
      set status = 'queued', attempts = 0, worker_id = null, execute_after = now(), updated = now()
      where status = 'failed' and id = any(array(select id from free))
      returning id, priority, entrypoint, attempts
    ),
    logged as (
      insert into ${t.log} (job_id, status, priority, entrypoint, attempts)
      select id, 'queued', priority, entrypoint, attempts from again
    ),
    notified as (${notifyInserted(t, sql`again`)})
    select id from again where (select count(*) from notified) >= 0`
}
