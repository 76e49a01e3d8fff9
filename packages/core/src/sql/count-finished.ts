import type { Tables } from './tables.js'
import { type SQL, sql } from './template.js'

/** Power-of-two millisecond buckets: 0 is under 1 ms, k covers [2^(k-1), 2^k) ms, the last is open. */
export const HISTOGRAM_BUCKETS = 24

/** One statistics row's worth of successes, added up by the worker (queue/success-tally.ts). */
export interface TallyRow {
  entrypoint: string
  priority: number
  count: number
  run_ms_sum: number
  run_ms_max: number
  run_ms_histogram: number[]
  wait_ms_sum: number
  wait_ms_max: number
  wait_ms_histogram: number[]
}

/** The bucket of a duration, as bucketOf below computes it in SQL (the worker's SuccessTally). */
export function histogramBucket(ms: number): number {
  return Math.min(HISTOGRAM_BUCKETS - 1, Math.max(0, Math.floor(Math.log(Math.max(ms, 0.5)) / Math.LN2) + 1))
}

/** The same bucket in SQL, of a float8 expression. */
export const bucketOf = (ms: string) => `least(${HISTOGRAM_BUCKETS - 1}, greatest(0, floor(ln(greatest(${ms}::float8, 0.5)) / ln(2))::integer + 1))`
const merged = (column: string) =>
  `array(select coalesce(a, 0) + coalesce(b, 0) from unnest(s.${column}, excluded.${column}) as h(a, b))`

/**
 * One group's histogram of a duration column: rows counted per bucket first, then spread
 * over the buckets (a count per bucket index, as 24 filtered counts would give, at about a
 * quarter of their cost per row); '{}' when no row of the group has the duration.
 */
function histogram(column: 'run_ms' | 'wait_ms'): string {
  return `case when g.${column}_n = 0 then '{}'::integer[] else (
    select array_agg(coalesce(c.n, 0) order by k) from generate_series(0, ${HISTOGRAM_BUCKETS - 1}) k
    left join (
      select ${bucketOf(`x.${column}`)} as b, count(*)::integer as n from f x
      where x.entrypoint = g.entrypoint and x.status = g.status and x.priority = g.priority and x.${column} is not null
      group by 1
    ) c on c.b = k
  ) end`
}

/**
 * A CTE body that adds the rows of `source` (id, status, priority, entrypoint, run_ms,
 * wait_ms; durations may be null) to this minute's statistics bucket, in the statement
 * that finishes them. Keys are written in one order, so concurrent finishes cannot deadlock.
 * `tallied`: groups added up already (the rows of a statistics row, status included), for
 * keys that no row of `source` has. It returns a row per key: a statement that also ends jobs
 * downstream (release_dependents, which counts them too) must read it first, so that its own
 * insert comes before theirs (see sql/finish-jobs.ts).
 */
export function countFinished(t: Tables, source: SQL, tallied?: SQL): SQL {
  const aggregated = sql`select g.entrypoint, g.status, g.priority, g.count,
      g.run_ms_sum, g.run_ms_max, ${sql.raw(histogram('run_ms'))} as run_ms_histogram, g.wait_ms_sum, g.wait_ms_max, ${sql.raw(histogram('wait_ms'))} as wait_ms_histogram
    from (
      select f.entrypoint, f.status, f.priority, count(*)::integer as count,
        coalesce(sum(f.run_ms), 0) as run_ms_sum, coalesce(max(f.run_ms), 0) as run_ms_max, count(f.run_ms) as run_ms_n,
        coalesce(sum(f.wait_ms), 0) as wait_ms_sum, coalesce(max(f.wait_ms), 0) as wait_ms_max, count(f.wait_ms) as wait_ms_n
      from f group by f.entrypoint, f.status, f.priority
    ) g`
  return sql`
    with f as (select * from ${source} source)
    insert into ${t.statistics} as s (bucket, entrypoint, status, priority, count,
      run_ms_sum, run_ms_max, run_ms_histogram, wait_ms_sum, wait_ms_max, wait_ms_histogram)
    select date_trunc('minute', now()), g.entrypoint, g.status::${sql.raw(`"${t.schema}".job_status`)}, g.priority, g.count,
      g.run_ms_sum, g.run_ms_max, g.run_ms_histogram, g.wait_ms_sum, g.wait_ms_max, g.wait_ms_histogram
    from (${aggregated}${tallied ? sql` union all ${tallied}` : sql``}) g
    order by g.entrypoint, g.status, g.priority
    on conflict (bucket, entrypoint, status, priority) do update set
      count = s.count + excluded.count,
      run_ms_sum = s.run_ms_sum + excluded.run_ms_sum, run_ms_max = greatest(s.run_ms_max, excluded.run_ms_max),
      run_ms_histogram = ${sql.raw(merged('run_ms_histogram'))},
      wait_ms_sum = s.wait_ms_sum + excluded.wait_ms_sum, wait_ms_max = greatest(s.wait_ms_max, excluded.wait_ms_max),
      wait_ms_histogram = ${sql.raw(merged('wait_ms_histogram'))}
    returning 1`
}
