import type { Tables } from './tables.js'
import { type SQL, sql } from './template.js'

/** Power-of-two millisecond buckets: 0 is under 1 ms, k covers [2^(k-1), 2^k) ms, the last is open. */
export const HISTOGRAM_BUCKETS = 24

const bucketOf = (ms: string) => `least(${HISTOGRAM_BUCKETS - 1}, greatest(0, floor(ln(greatest(${ms}::float8, 0.5)) / ln(2))::integer + 1))`
const histogram = (bucket: string) =>
  `array[${Array.from({ length: HISTOGRAM_BUCKETS }, (_, k) => `count(*) filter (where ${bucket} = ${k})::integer`).join(', ')}]`
const merged = (column: string) =>
  `array(select coalesce(a, 0) + coalesce(b, 0) from unnest(s.${column}, excluded.${column}) as h(a, b))`

/**
 * A CTE body that adds the rows of `source` (id, status, priority, entrypoint, run_ms,
 * wait_ms; durations may be null) to this minute's statistics bucket, in the statement
 * that finishes them. Keys are written in one order, so concurrent finishes cannot deadlock.
 */
export function countFinished(t: Tables, source: SQL): SQL {
  const run = bucketOf('f.run_ms')
  const wait = bucketOf('f.wait_ms')
  return sql`
    insert into ${t.statistics} as s (bucket, entrypoint, status, priority, count,
      run_ms_sum, run_ms_max, run_ms_histogram, wait_ms_sum, wait_ms_max, wait_ms_histogram)
    select date_trunc('minute', now()), f.entrypoint, f.status::${sql.raw(`"${t.schema}".job_status`)}, f.priority, count(*)::integer,
      coalesce(sum(f.run_ms), 0), coalesce(max(f.run_ms), 0), ${sql.raw(histogramOrEmpty('f.run_ms', run))},
      coalesce(sum(f.wait_ms), 0), coalesce(max(f.wait_ms), 0), ${sql.raw(histogramOrEmpty('f.wait_ms', wait))}
    from ${source} f
    group by f.entrypoint, f.status, f.priority
    order by f.entrypoint, f.status, f.priority
    on conflict (bucket, entrypoint, status, priority) do update set
      count = s.count + excluded.count,
      run_ms_sum = s.run_ms_sum + excluded.run_ms_sum, run_ms_max = greatest(s.run_ms_max, excluded.run_ms_max),
      run_ms_histogram = ${sql.raw(merged('run_ms_histogram'))},
      wait_ms_sum = s.wait_ms_sum + excluded.wait_ms_sum, wait_ms_max = greatest(s.wait_ms_max, excluded.wait_ms_max),
      wait_ms_histogram = ${sql.raw(merged('wait_ms_histogram'))}`
}

/** The histogram of a duration column, or an empty array when no row of the group has one. */
function histogramOrEmpty(column: string, bucket: string): string {
  return `case when count(${column}) = 0 then '{}'::integer[] else ${histogram(`(case when ${column} is null then null else ${bucket} end)`)} end`
}
