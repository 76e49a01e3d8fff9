import type { DurationStats, StatisticsBucket } from '../queue/statistics.js'
import type { JobStatus } from '../types.js'
import { durationFlag, entrypointFlags } from './arguments.js'
import { type CliIo, type ConnectionFlags, line } from './context.js'
import { duration, printJson, table } from './format.js'
import { withProducer } from './session.js'

type StatsFlags = ConnectionFlags & { since?: string; entrypoint?: string[]; json?: boolean }

export interface StatusStats {
  entrypoint: string
  /** As the statistics store it: 'queued' counts failed attempts that were retried. */
  status: JobStatus
  count: number
  run: DurationStats | null
  wait: DurationStats | null
}

/** Finished work per entrypoint and status over --since (from the per-minute statistics), and the queue as it is now. */
export async function stats(flags: StatsFlags, io: CliIo): Promise<number> {
  const sinceMs = durationFlag(flags.since ?? '1h', '--since')
  const entrypoints = entrypointFlags(flags.entrypoint)
  const until = new Date()
  const since = new Date(until.getTime() - sinceMs)
  const { overview, buckets } = await withProducer(flags, io, async ({ producer }) => ({
    overview: (await producer.overview()).filter((o) => !entrypoints || entrypoints.includes(o.entrypoint)),
    buckets: await producer.statistics({ since, until, ...(entrypoints ? { entrypoints } : {}) }),
  }))
  const totals = perStatus(buckets)
  if (flags.json) {
    printJson(io, { since, until, overview, statistics: totals })
    return 0
  }
  if (overview.length === 0) line(io.stdout, 'no entrypoints with jobs, a policy or a schedule')
  else {
    const rows = overview.map((o) => [o.entrypoint, o.queued, o.scheduled, o.picked, o.held, duration(o.oldestQueuedAgeMs), o.paused ? 'PAUSED' : 'no', o.concurrencyLimit || '-'])
    line(io.stdout, table(['entrypoint', 'queued', 'scheduled', 'running', 'held', 'oldest due', 'paused', 'limit'], rows))
  }
  line(io.stdout, '')
  line(io.stdout, `finished since ${since.toISOString()} (${duration(sinceMs)}):`)
  if (totals.length === 0) line(io.stdout, 'nothing finished')
  else {
    const d = (s: DurationStats | null, k: 'p50' | 'p95' | 'max') => duration(s?.[k])
    const rows = totals.map((t) => [t.entrypoint, t.status === 'queued' ? 'retried' : t.status, t.count, d(t.run, 'p50'), d(t.run, 'p95'), d(t.run, 'max'), d(t.wait, 'p50'), d(t.wait, 'p95')])
    line(io.stdout, table(['entrypoint', 'status', 'count', 'run p50', 'run p95', 'run max', 'wait p50', 'wait p95'], rows))
  }
  return 0
}

/** The minute buckets (of every priority) summed per entrypoint and status. */
export function perStatus(buckets: readonly StatisticsBucket[]): StatusStats[] {
  const groups = new Map<string, { entrypoint: string; status: JobStatus; count: number; run: DurationStats[]; wait: DurationStats[] }>()
  for (const b of buckets) {
    const key = JSON.stringify([b.entrypoint, b.status])
    let g = groups.get(key)
    if (!g) {
      g = { entrypoint: b.entrypoint, status: b.status, count: 0, run: [], wait: [] }
      groups.set(key, g)
    }
    g.count += b.count
    if (b.run) g.run.push(b.run)
    if (b.wait) g.wait.push(b.wait)
  }
  return [...groups.values()]
    .sort((a, b) => a.entrypoint.localeCompare(b.entrypoint) || a.status.localeCompare(b.status))
    .map((g) => ({ entrypoint: g.entrypoint, status: g.status, count: g.count, run: merge(g.run), wait: merge(g.wait) }))
}

/**
 * Buckets keep only their own percentiles, so the merged one is bounded from above: at
 * least half of a bucket's jobs took at most its p50, 95% at most its p95, all at most its
 * max, and the merged quantile is the smallest of those values that covers its rank. For a
 * single bucket this is the bucket's own figure.
 */
export function merge(parts: readonly DurationStats[]): DurationStats | null {
  const total = parts.reduce((n, p) => n + p.count, 0)
  if (total === 0) return null
  const candidates = [...new Set(parts.flatMap((p) => [p.p50, p.p95, p.max]))].sort((a, b) => a - b)
  const max = Math.max(...parts.map((p) => p.max))
  const quantile = (q: number) => {
    const rank = Math.max(1, Math.ceil(q * total))
    const covered = (v: number) => parts.reduce((n, p) => n + (v >= p.max ? p.count : v >= p.p95 ? Math.ceil(0.95 * p.count) : v >= p.p50 ? Math.ceil(0.5 * p.count) : 0), 0)
    return candidates.find((v) => covered(v) >= rank) ?? max
  }
  return { count: total, mean: parts.reduce((n, p) => n + p.mean * p.count, 0) / total, p50: quantile(0.5), p95: quantile(0.95), max }
}
