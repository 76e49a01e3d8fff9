import { type SQL, sql } from 'drizzle-orm'
import { array, type Tables } from './tables.js'

/**
 * Cancel: the jobs leave the queue at once (which frees their dedupe keys), get a
 * 'canceled' log row, and workers running one hear a cancel event (ids in chunks that
 * stay under NOTIFY's 8000-byte payload limit).
 */
export function cancelJobs(t: Tables, ids: number[]): SQL {
  return sql`
    with gone as (
      delete from ${t.jobs} where id = any(${array(ids)}::bigint[])
      returning id, priority, entrypoint, attempts, status
    ),
    logged as (
      insert into ${t.log} (job_id, status, priority, entrypoint, attempts)
      select id, 'canceled', priority, entrypoint, attempts from gone
    ),
    notified as (
      select pg_notify(${t.channel}, json_build_object('type', 'cancel', 'ids', array_agg(id))::text)
      from (select id, (row_number() over ()) / 400 as chunk from gone where status = 'picked') c
      group by chunk
    )
    select id, status as previous_status from gone where (select count(*) from notified) >= 0`
}
