import type { Tables } from './tables.js'
import { type SQL, sql } from './template.js'

/**
 * Every entrypoint with jobs, a stored policy or a schedule: its jobs by state and the age
 * of its oldest due job. One pass over the jobs table (a dashboard's refresh, not a hot path).
 */
export function entrypointOverview(t: Tables): SQL {
  return sql`
    with counts as (
      select entrypoint,
        count(*) filter (where status = 'queued' and execute_after <= now())::integer as queued,
        count(*) filter (where status = 'queued' and execute_after > now())::integer as scheduled,
        count(*) filter (where status = 'picked')::integer as picked,
        count(*) filter (where status = 'failed')::integer as held,
        count(*) filter (where status = 'blocked')::integer as blocked,
        (extract(epoch from now() - min(execute_after) filter (where status = 'queued' and execute_after <= now())) * 1000)::float8 as oldest_ms
      from ${t.jobs} group by entrypoint
    ),
    names as (
      select entrypoint as name from counts
      union select name from ${t.entrypoints}
      union select entrypoint from ${t.schedules}
    )
    select n.name as entrypoint, coalesce(c.queued, 0) as queued, coalesce(c.scheduled, 0) as scheduled,
           coalesce(c.picked, 0) as picked, coalesce(c.held, 0) as held, coalesce(c.blocked, 0) as blocked, c.oldest_ms,
           coalesce(p.paused, false) as paused, nullif(p.concurrency_limit, 0) as concurrency_limit
    from names n
    left join counts c on c.entrypoint = n.name
    left join ${t.entrypoints} p on p.name = n.name
    order by n.name`
}
