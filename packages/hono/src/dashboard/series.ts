// The statistics buckets (per minute, entrypoint, status, priority) binned for a chart of at
// most MAX_BINS columns. Percentiles do not add up: a bin's wait p50/p95 is the count-weighted
// median / 95th percentile of its buckets' own (as close as per-minute data allows).
import type { StatisticsBucket } from '@pgq/core/edge'
import { MINUTE } from './params.js'

const MAX_BINS = 60
const STEPS_MINUTES = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440]

export interface Bin {
  start: Date
  succeeded: number
  /** Failed for good: held or dropped. */
  failed: number
  /** Failed attempts that will run again. */
  retried: number
  waitP50: number | null
  waitP95: number | null
}

export interface Series {
  stepMs: number
  bins: Bin[]
}

export function stepFor(windowMs: number): number {
  const minutes = STEPS_MINUTES.find((m) => windowMs / (m * MINUTE) <= MAX_BINS) ?? STEPS_MINUTES.at(-1)!
  return minutes * MINUTE
}

export function binStatistics(buckets: readonly StatisticsBucket[], since: Date, until: Date): Series {
  const stepMs = stepFor(until.getTime() - since.getTime())
  const first = Math.floor(since.getTime() / stepMs) * stepMs
  const count = Math.max(1, Math.ceil((until.getTime() - first) / stepMs))
  const bins: Bin[] = Array.from({ length: count }, (_, i) => ({ start: new Date(first + i * stepMs), succeeded: 0, failed: 0, retried: 0, waitP50: null, waitP95: null }))
  const waits = bins.map(() => ({ p50: [] as Weighted[], p95: [] as Weighted[] }))
  for (const b of buckets) {
    const i = Math.floor((b.minute.getTime() - first) / stepMs)
    const bin = bins[i]
    if (!bin) continue
    if (b.status === 'successful') bin.succeeded += b.count
    else if (b.status === 'failed' || b.status === 'exception') bin.failed += b.count
    else if (b.status === 'queued') bin.retried += b.count
    if (b.wait) {
      waits[i]!.p50.push({ value: b.wait.p50, weight: b.wait.count })
      waits[i]!.p95.push({ value: b.wait.p95, weight: b.wait.count })
    }
  }
  bins.forEach((bin, i) => {
    bin.waitP50 = weightedQuantile(waits[i]!.p50, 0.5)
    bin.waitP95 = weightedQuantile(waits[i]!.p95, 0.95)
  })
  return { stepMs, bins }
}

interface Weighted {
  value: number
  weight: number
}

export function weightedQuantile(items: Weighted[], q: number): number | null {
  const total = items.reduce((sum, item) => sum + item.weight, 0)
  if (total === 0) return null
  const sorted = [...items].sort((a, b) => a.value - b.value)
  let seen = 0
  for (const item of sorted) {
    seen += item.weight
    if (seen >= q * total) return item.value
  }
  return sorted.at(-1)!.value
}
