// The dashboard's data step: one refresh's reads (overview, statistics, failures, health),
// merged into one plain object that render() draws. No terminal here.
import type { HealthCheckName } from '../../queue/health.js'
import type { EntrypointOverview, FailureRecord } from '../../queue/operations.js'
import type { StatisticsBucket } from '../../queue/statistics.js'
import type { Producer } from '../../runtime/producer.js'

const MINUTE = 60_000

/** One entrypoint's row: its state now, and its finished work over the window. */
export interface EntrypointLine extends EntrypointOverview {
  /** Jobs that succeeded within the window. */
  succeeded: number
  /** Jobs that failed for good within the window: held or dropped (retried attempts are not counted). */
  failed: number
  /** Successes per minute over the window. */
  perMinute: number
  /** failed / (succeeded + failed); null when neither happened. */
  failureRate: number | null
}

export interface DashboardSnapshot {
  schema: string
  at: Date
  /** The statistics cover [since, at): from the start of the minute `window` before `at`. */
  since: Date
  /** Sorted by entrypoint. */
  entrypoints: EntrypointLine[]
  /** Newest first. */
  failures: FailureRecord[]
  /** The health checks that failed (see pgq doctor); empty when healthy. */
  unhealthy: HealthCheckName[]
}

/** What a refresh reads: a Producer (or a Queue) fits. */
export type SnapshotSource = Pick<Producer, 'schema' | 'overview' | 'statistics' | 'failures' | 'health'>

export interface SnapshotOptions {
  windowMs: number
  /** How many recent failures to list; 0 reads none. */
  failureLimit: number
  now?: Date
}

/** Successes and final failures per entrypoint, summed over the buckets. */
function finishedWork(buckets: StatisticsBucket[]): Map<string, { succeeded: number; failed: number }> {
  const out = new Map<string, { succeeded: number; failed: number }>()
  for (const b of buckets) {
    const sums = out.get(b.entrypoint) ?? { succeeded: 0, failed: 0 }
    if (b.status === 'successful') sums.succeeded += b.count
    else if (b.status === 'failed' || b.status === 'exception') sums.failed += b.count
    out.set(b.entrypoint, sums)
  }
  return out
}

/** An entrypoint that finished work but has no jobs, policy or schedule left still gets a row. */
const idle = (entrypoint: string): EntrypointOverview => ({
  entrypoint,
  queued: 0,
  scheduled: 0,
  picked: 0,
  held: 0,
  blocked: 0,
  oldestQueuedAgeMs: null,
  paused: false,
  concurrencyLimit: null,
})

/** Reads one refresh's worth; any failed read rejects the whole snapshot (the caller shows the error). */
export async function readSnapshot(source: SnapshotSource, options: SnapshotOptions): Promise<DashboardSnapshot> {
  const at = options.now ?? new Date()
  // Whole minutes: the statistics are per-minute buckets, so the first one is counted entire.
  const since = new Date(Math.floor((at.getTime() - options.windowMs) / MINUTE) * MINUTE)
  const [overview, buckets, failures, health] = await Promise.all([
    source.overview(),
    source.statistics({ since, until: at }),
    options.failureLimit > 0 ? source.failures({ limit: options.failureLimit }) : Promise.resolve([]),
    source.health(),
  ])
  const work = finishedWork(buckets)
  const known = new Set(overview.map((o) => o.entrypoint))
  const rows = [...overview, ...[...work.keys()].filter((name) => !known.has(name)).map(idle)]
  rows.sort((a, b) => (a.entrypoint < b.entrypoint ? -1 : a.entrypoint > b.entrypoint ? 1 : 0))
  const minutes = (at.getTime() - since.getTime()) / MINUTE
  const entrypoints = rows.map((row): EntrypointLine => {
    const { succeeded, failed } = work.get(row.entrypoint) ?? { succeeded: 0, failed: 0 }
    return { ...row, succeeded, failed, perMinute: succeeded / minutes, failureRate: succeeded + failed === 0 ? null : failed / (succeeded + failed) }
  })
  return { schema: source.schema, at, since, entrypoints, failures, unhealthy: health.checks.filter((c) => !c.ok).map((c) => c.name) }
}
