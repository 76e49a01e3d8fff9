import { HISTOGRAM_BUCKETS, histogramBucket, type TallyRow } from '../sql/count-finished.js'

const histogram = () => new Array<number>(HISTOGRAM_BUCKETS).fill(0)

/**
 * The statistics of a batch of successes, added up per entrypoint and priority as the
 * worker records them, so the finishing statement writes a row per group instead of
 * aggregating every job (it still does when some job was no longer held).
 */
export class SuccessTally {
  /** By entrypoint, then priority (no key string made per job). */
  readonly #rows = new Map<string, Map<number, TallyRow>>()
  #count = 0

  /** Jobs added. */
  get count(): number {
    return this.#count
  }

  /** `waitMs`: due to claimed; `runMs`: how long the handler ran. */
  add(entrypoint: string, priority: number, runMs: number, waitMs: number): void {
    const row = this.#row(entrypoint, priority)
    this.#count++
    row.count++
    row.run_ms_sum += runMs
    row.run_ms_max = Math.max(row.run_ms_max, runMs)
    row.run_ms_histogram[histogramBucket(runMs)]!++
    row.wait_ms_sum += waitMs
    row.wait_ms_max = Math.max(row.wait_ms_max, waitMs)
    row.wait_ms_histogram[histogramBucket(waitMs)]!++
  }

  /** Adds another tally's jobs (a batch whose write failed, put back). */
  merge(other: SuccessTally): void {
    for (const r of other.rows()) {
      const row = this.#row(r.entrypoint, r.priority)
      row.count += r.count
      row.run_ms_sum += r.run_ms_sum
      row.run_ms_max = Math.max(row.run_ms_max, r.run_ms_max)
      row.wait_ms_sum += r.wait_ms_sum
      row.wait_ms_max = Math.max(row.wait_ms_max, r.wait_ms_max)
      for (let k = 0; k < HISTOGRAM_BUCKETS; k++) {
        row.run_ms_histogram[k]! += r.run_ms_histogram[k]!
        row.wait_ms_histogram[k]! += r.wait_ms_histogram[k]!
      }
    }
    this.#count += other.#count
  }

  rows(): TallyRow[] {
    return [...this.#rows.values()].flatMap((byPriority) => [...byPriority.values()])
  }

  #row(entrypoint: string, priority: number): TallyRow {
    let byPriority = this.#rows.get(entrypoint)
    if (!byPriority) {
      byPriority = new Map()
      this.#rows.set(entrypoint, byPriority)
    }
    let row = byPriority.get(priority)
    if (!row) {
      row = { entrypoint, priority, count: 0, run_ms_sum: 0, run_ms_max: 0, run_ms_histogram: histogram(), wait_ms_sum: 0, wait_ms_max: 0, wait_ms_histogram: histogram() }
      byPriority.set(priority, row)
    }
    return row
  }
}
