export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  // Nearest rank: p99 of 1,000 samples is the 990th value.
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)))
  return sorted[rank - 1]!
}

export const median = (values: readonly number[]) => quantile(values, 0.5)
export const max = (values: readonly number[]) => (values.length ? Math.max(...values) : Number.NaN)
export const min = (values: readonly number[]) => (values.length ? Math.min(...values) : Number.NaN)
export const mean = (values: readonly number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN)
export const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0)

/** Wall clock with sub-millisecond resolution, comparable with the workers' (same machine). */
export { now } from './workers/protocol.mjs'
