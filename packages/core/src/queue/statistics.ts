import type { Executor, Row } from '../driver/driver.js'
import { execute } from '../driver/executor.js'
import { readStatistics } from '../sql/read-statistics.js'
import { tablesFor } from '../sql/tables.js'
import type { JobStatus } from '../types.js'
import { ConfigurationError } from '../errors.js'
import { checkOptionNames } from '../validation/option-names.js'
import { entrypointNamesProblem } from '../validation/entrypoint-names.js'
import { dateProblem, MIN_TIMESTAMP_MS, timestampText } from '../validation/time.js'

/** Durations of one bucket, in milliseconds; percentiles read from power-of-two buckets (at most 2× off). */
export interface DurationStats {
  /** Jobs the figures cover (canceled jobs have none). */
  count: number
  mean: number
  p50: number
  p95: number
  max: number
}

/** One minute of finished work of one entrypoint, status and priority. */
export interface StatisticsBucket {
  minute: Date
  entrypoint: string
  /** successful, exception (dropped), failed (held), canceled, or queued (a failed attempt that is retried). */
  status: JobStatus
  priority: number
  count: number
  /** How long the handler ran. */
  run: DurationStats | null
  /** How long it waited from due to claimed. */
  wait: DurationStats | null
}

export interface StatisticsQuery {
  /** Default: 60 minutes ago. */
  since?: Date
  /** Default: now. */
  until?: Date
  entrypoints?: readonly string[]
}

/** The p-quantile of a power-of-two histogram: the upper bound of its bucket, capped by the max. */
function quantile(histogram: number[], count: number, p: number, max: number): number {
  const rank = Math.max(1, Math.ceil(p * count))
  let seen = 0
  for (let k = 0; k < histogram.length; k++) {
    seen += histogram[k] ?? 0
    if (seen >= rank) return Math.min(max, k === 0 ? 1 : 2 ** k)
  }
  return max
}

function durations(row: Row, prefix: 'run' | 'wait'): DurationStats | null {
  const histogram = (row[`${prefix}_ms_histogram`] as number[] | null) ?? []
  const count = histogram.reduce((a, b) => a + b, 0)
  if (count === 0) return null
  const max = Number(row[`${prefix}_ms_max`])
  return { count, mean: Number(row[`${prefix}_ms_sum`]) / count, p50: quantile(histogram, count, 0.5, max), p95: quantile(histogram, count, 0.95, max), max }
}

/** Checks a query before any statement: a bad date or name would be a raw Postgres error. */
function checkStatisticsQuery(query: StatisticsQuery): { sinceMs: number; untilMs: number; entrypoints: string[] | null } {
  checkOptionNames(query, ['since', 'until', 'entrypoints'], 'statistics')
  for (const field of ['since', 'until'] as const) {
    const problem = query[field] === undefined ? null : dateProblem(query[field], field)
    if (problem) throw new ConfigurationError(problem)
  }
  const problem = query.entrypoints === undefined ? null : entrypointNamesProblem(query.entrypoints, 'entrypoints')
  if (problem) throw new ConfigurationError(problem)
  const untilMs = query.until?.getTime() ?? Date.now()
  return { sinceMs: query.since?.getTime() ?? untilMs - 3_600_000, untilMs, entrypoints: query.entrypoints ? [...query.entrypoints] : null }
}

/** Reads the per-minute statistics the finishing statements write; `ready` is the owner's gate, passed after the query is checked. */
export async function readStatisticsBuckets(db: Executor, schema: string, query: StatisticsQuery = {}, ready?: () => Promise<unknown>): Promise<StatisticsBucket[]> {
  const { sinceMs, untilMs, entrypoints } = checkStatisticsQuery(query)
  await ready?.()
  // timestampText, not toISOString: Postgres refuses toISOString's years past 9999 and before 1 AD.
  const rows = await execute(db, readStatistics(tablesFor(schema), timestampText(Math.max(sinceMs, MIN_TIMESTAMP_MS)), timestampText(untilMs), entrypoints))
  return rows.map((r) => ({
    minute: new Date(String(r.bucket)),
    entrypoint: r.entrypoint as string,
    status: r.status as JobStatus,
    priority: Number(r.priority),
    count: Number(r.count),
    run: durations(r, 'run'),
    wait: durations(r, 'wait'),
  }))
}
