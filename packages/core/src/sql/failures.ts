import type { Tables } from './tables.js'
import { type SQL, sql } from './template.js'

export interface FailureFilter {
  entrypoints: string[] | null
  olderThanMs: number | null
  newerThanMs: number | null
  /** true: held only; false: dropped only; null: both. */
  held: boolean | null
  limit: number
}

/** `column` within the filter's age bounds. */
function ageBounds(column: SQL, f: FailureFilter): SQL {
  return sql`(${f.olderThanMs}::float8 is null or ${column} <= now() - ${f.olderThanMs}::float8 * interval '1 millisecond')
    and (${f.newerThanMs}::float8 is null or ${column} >= now() - ${f.newerThanMs}::float8 * interval '1 millisecond')
    and (${f.entrypoints}::text[] is null or entrypoint = any(${f.entrypoints}::text[]))`
}

/**
 * Jobs that failed for good, newest first: held ones (still in the queue, with their last
 * traceback) and dropped ones (their 'exception' log row).
 */
export function failedJobs(t: Tables, f: FailureFilter): SQL {
  return sql`
    select * from (
      (select j.id as job_id, j.entrypoint, true as held, j.attempts, j.updated as at, l.traceback
       from ${t.jobs} j
       left join lateral (
         select traceback from ${t.log} where job_id = j.id and traceback is not null order by id desc limit 1
       ) l on true
       where j.status = 'failed' and ${f.held}::boolean is not false and ${ageBounds(sql`j.updated`, f)}
       order by j.updated desc limit ${f.limit})
      union all
      (select job_id, entrypoint, false as held, attempts, created as at, traceback
       from ${t.log}
       where status = 'exception' and ${f.held}::boolean is not true and ${ageBounds(sql`created`, f)}
       order by created desc limit ${f.limit})
    ) failures
    order by at desc, job_id desc limit ${f.limit}`
}
