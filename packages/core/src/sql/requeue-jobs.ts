import { notifyInserted } from './notify-done.js'
import type { Tables } from './tables.js'
import { type SQL, sql } from './template.js'

/**
 * Requeue held (failed) jobs: all of them, of some entrypoints, or by id. Attempts start
 * again from zero (the log keeps the history); waiting workers are woken.
 */
export function requeueFailedJobs(t: Tables, filter: { ids?: number[]; entrypoints?: string[] }): SQL {
  return sql`
    with again as (
      update ${t.jobs}
      set status = 'queued', attempts = 0, worker_id = null, execute_after = now(), updated = now()
      where status = 'failed'
        and (${filter.ids ?? null}::bigint[] is null or id = any(${filter.ids ?? null}::bigint[]))
        and (${filter.entrypoints ?? null}::text[] is null or entrypoint = any(${filter.entrypoints ?? null}::text[]))
      returning id, priority, entrypoint, attempts
    ),
    logged as (
      insert into ${t.log} (job_id, status, priority, entrypoint, attempts)
      select id, 'queued', priority, entrypoint, attempts from again
    ),
    notified as (${notifyInserted(t, sql`again`)})
    select id from again where (select count(*) from notified) >= 0`
}
