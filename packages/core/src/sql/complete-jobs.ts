import { type SQL, sql } from 'drizzle-orm'
import { asyncCommit } from './async-commit.js'
import { notifyIds } from './notify-done.js'
import { array, type Tables } from './tables.js'

/**
 * Complete a batch of successes: delete the rows this worker still holds, log them (but
 * not those of `unlogged` entrypoints), and tell waiters. A job canceled or re-picked by
 * another worker meanwhile is left alone.
 */
export function completeJobs(t: Tables, workerId: string, ids: number[], async: boolean, unlogged: readonly string[] = []): SQL {
  return sql`
    with done as (
      delete from ${t.jobs}
      where id = any(${array(ids)}::bigint[]) and worker_id = ${workerId}::uuid and status = 'picked'
      returning id, priority, entrypoint, attempts
    ),
    logged as (
      insert into ${t.log} (job_id, status, priority, entrypoint, attempts)
      select id, 'successful', priority, entrypoint, attempts from done
      where entrypoint <> all(${array(unlogged)}::text[])
    ),
    notified as (${notifyIds(t, 'done', sql`done`, sql`true`, 'successful')})
    select id from done where (select count(*) from notified) >= 0 and ${asyncCommit(async)}`
}
