import { asyncCommit } from './async-commit.js'
import { numberArray } from './pg-array.js'
import type { Tables } from './tables.js'
import { type SQL, sql } from './template.js'

/**
 * Heartbeat every running job of one worker in one statement; returns the ids still held.
 * With `progress` (JSON text per job, the latest ctx.progress() of each), the same statement
 * writes it and sends one 'progress' event naming those jobs: waiters read the values.
 */
export function heartbeatJobs(t: Tables, workerId: string, ids: number[], async: boolean, progress?: ReadonlyMap<number, string>): SQL {
  // "is not false": by pkey, not by the partial picked index (see finish-jobs.ts).
  const held = sql`j.worker_id = ${workerId}::uuid and (j.status = 'picked') is not false`
  if (!progress || progress.size === 0) {
    return sql`
    update ${t.jobs} j set heartbeat = now()
    where j.id = any(${numberArray(ids)}::bigint[]) and ${held} and ${asyncCommit(async)}
    returning j.id`
  }
  return sql`
    with beat as (
      update ${t.jobs} j set heartbeat = now(), progress = coalesce(p.progress, j.progress)
      from unnest(${numberArray(ids)}::bigint[]) as i(id)
      left join unnest(${numberArray([...progress.keys()])}::bigint[], ${[...progress.values()]}::jsonb[]) as p(id, progress) on p.id = i.id
      where j.id = i.id and ${held}
      returning j.id, p.id is not null as reported
    ),
    progress_event as (select ${t.notifyIds}('progress'::text, array(select id from beat where reported), null::text))
    select id from beat where (select count(*) from progress_event) >= 0 and ${asyncCommit(async)}`
}

/** Of jobs a heartbeat no longer holds, those canceled (the rest were taken over or finished elsewhere). */
export function canceledAmong(t: Tables, ids: number[]): SQL {
  return sql`select distinct job_id as id from ${t.log} where job_id = any(${numberArray(ids)}::bigint[]) and status = 'canceled'`
}
