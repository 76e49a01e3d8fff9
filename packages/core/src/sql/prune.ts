import { countFinished } from './count-finished.js'
import type { Tables } from './tables.js'
import { type SQL, sql } from './template.js'

/**
 * One bounded batch of retention: the oldest log rows of one status older than `ageMs`, of
 * one entrypoint (`only`) or of all but some (`except`). Walks log_status_created_idx, so a
 * batch costs its own rows whatever the log holds; returns how many it deleted.
 */
export function pruneLogBatch(t: Tables, status: string, ageMs: number, scope: { only?: string; except: string[] }, batch: number): SQL {
  return sql`
    with doomed as (
      select job_id, id from ${t.log}
      where status = ${status}::${sql.raw(`"${t.schema}".job_status`)} and created < now() - ${ageMs}::float8 * interval '1 millisecond'
        and (${scope.only ?? null}::text is null or entrypoint = ${scope.only ?? null}::text)
        and entrypoint <> all(${scope.except}::text[])
      order by created
      limit ${batch}::integer
    ),
    gone as (delete from ${t.log} l using doomed where l.job_id = doomed.job_id and l.id = doomed.id returning 1)
    select count(*)::integer as deleted from gone`
}

/**
 * One batch of held (failed) jobs past their retention, of one entrypoint or all but some:
 * they leave the queue with a 'deleted' log row, which says retention removed them, and
 * are counted in this minute's statistics as 'deleted'.
 */
export function pruneHeldBatch(t: Tables, ageMs: number, scope: { only?: string; except: string[] }, batch: number): SQL {
  return sql`
    with doomed as (
      select id from ${t.jobs}
      where status = 'failed' and updated < now() - ${ageMs}::float8 * interval '1 millisecond'
        and (${scope.only ?? null}::text is null or entrypoint = ${scope.only ?? null}::text)
        and entrypoint <> all(${scope.except}::text[])
      order by id
      limit ${batch}::integer
      for update skip locked
    ),
    gone as (
      delete from ${t.jobs} j using doomed where j.id = doomed.id and j.status = 'failed'
      returning j.id, j.priority, j.entrypoint, j.attempts
    ),
    logged as (
      insert into ${t.log} (job_id, status, priority, entrypoint, attempts)
      select id, 'deleted', priority, entrypoint, attempts from gone
    ),
    counted as (${countFinished(t, sql`(select id, 'deleted' as status, priority, entrypoint, null::float8 as run_ms, null::float8 as wait_ms from gone)`)})
    select count(*)::integer as deleted from gone`
}

/** One batch of statistics buckets older than `ageMs`, oldest first (walks statistics_bucket_key). */
export function pruneStatistics(t: Tables, ageMs: number, batch: number): SQL {
  return sql`
    with doomed as (
      select id from ${t.statistics}
      where bucket < now() - ${ageMs}::float8 * interval '1 millisecond'
      order by bucket
      limit ${batch}::integer
    ),
    gone as (delete from ${t.statistics} s using doomed where s.id = doomed.id returning 1)
    select count(*)::integer as deleted from gone`
}

/** The retention overrides entrypoints registered (fleet policy): what every pruner applies. */
export function storedRetention(t: Tables): SQL {
  return sql`select name, retention from ${t.entrypoints} where retention is not null`
}

/** One batch of throttle windows that have expired (a key's row is reused while it throttles). */
export function pruneDedupeWindows(t: Tables, batch: number): SQL {
  return sql`
    with doomed as (select key from ${t.dedupeWindows} where expires < now() limit ${batch}::integer for update skip locked),
    gone as (delete from ${t.dedupeWindows} w using doomed where w.key = doomed.key and w.expires < now() returning 1)
    select count(*)::integer as deleted from gone`
}
