import type { Tables } from './tables.js'
import { type SQL, sql } from './template.js'

/** Jobs in the queue table per entrypoint, status and priority. */
export function queueSize(t: Tables): SQL {
  return sql`
    select entrypoint, status, priority, count(*)::integer as count
    from ${t.jobs} group by entrypoint, status, priority order by entrypoint, status, priority`
}

/** A job's row while it is in the queue (with its progress), else its last log entry (with its result). */
export function jobStatus(t: Tables, ids: number[]): SQL {
  return sql`
    select i.id, coalesce(j.status, l.status) as status, coalesce(j.attempts, l.attempts) as attempts,
           j.id is not null as in_queue, j.progress, case when j.id is null then l.result end as result
    from unnest(${ids}::bigint[]) with ordinality as i(id, ord)
    left join ${t.jobs} j on j.id = i.id
    left join lateral (
      select status, attempts, result from ${t.log} where job_id = i.id order by id desc limit 1
    ) l on true
    order by i.ord`
}

/** Every log entry of one job, oldest first. */
export function jobHistory(t: Tables, id: number): SQL {
  return sql`
    select job_id, status, priority, entrypoint, attempts, created, traceback, result
    from ${t.log} where job_id = ${id}::bigint order by id`
}

/** One job's queue row. */
export function jobById(t: Tables, id: number): SQL {
  return sql`select * from ${t.jobs} where id = ${id}::bigint`
}

/** The highest migration version installed. */
export function installedVersion(t: Tables): SQL {
  return sql`select coalesce(max(version), 0)::integer as version from ${t.migrations}`
}

/** Queued jobs of these entrypoints that could run now (a drain's "remaining"). */
export function eligibleCount(t: Tables, entrypoints: string[]): SQL {
  return sql`
    select count(*)::integer as count from ${t.jobs} j
    where j.entrypoint = any(${entrypoints}::text[]) and j.status = 'queued' and j.execute_after <= now()
      and not exists (select 1 from ${t.entrypoints} p where p.name = j.entrypoint and p.paused)`
}

/** The queued or running job holding a dedupe key (keys are unique only while the job is live). */
export function jobByDedupeKey(t: Tables, key: string): SQL {
  return sql`select * from ${t.jobs} where dedupe_key = ${key} and status in ('queued', 'picked', 'blocked')`
}
