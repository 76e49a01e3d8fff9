import { type SQL, sql } from 'drizzle-orm'
import { array, type Tables } from './tables.js'

/**
 * Complete a batch of successes: delete the rows this worker still holds and log them.
 * A job that was canceled or re-picked by another worker meanwhile is left alone.
 */
export function completeJobs(t: Tables, workerId: string, ids: number[]): SQL {
  return sql`
    with done as (
      delete from ${t.jobs}
      where id = any(${array(ids)}::bigint[]) and worker_id = ${workerId}::uuid and status = 'picked'
      returning id, priority, entrypoint, attempts
    )
    insert into ${t.log} (job_id, status, priority, entrypoint, attempts)
    select id, 'successful', priority, entrypoint, attempts from done
    returning job_id as id`
}
