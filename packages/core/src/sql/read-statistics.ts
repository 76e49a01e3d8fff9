import type { Tables } from './tables.js'
import { type SQL, sql } from './template.js'

/** Statistics buckets from `since` (inclusive) to `until` (exclusive), oldest first. */
export function readStatistics(t: Tables, since: string, until: string, entrypoints: string[] | null): SQL {
  return sql`
    select bucket, entrypoint, status, priority, count, run_ms_sum, run_ms_max, run_ms_histogram,
           wait_ms_sum, wait_ms_max, wait_ms_histogram
    from ${t.statistics}
    where bucket >= ${since}::timestamptz and bucket < ${until}::timestamptz
      and (${entrypoints}::text[] is null or entrypoint = any(${entrypoints}::text[]))
    order by bucket, entrypoint, status, priority`
}
