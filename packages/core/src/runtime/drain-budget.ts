import type { EntrypointDefinition } from './entrypoints.js'

/**
 * Drain mode's sense of time: how long each entrypoint's handler takes (a moving average
 * that leans to the slow side), and whether a job can still finish before the deadline.
 */
export class DrainBudget {
  readonly deadline: number
  /** Kept free at the end for writing results and closing connections. */
  readonly reserveMs: number
  readonly #averages = new Map<string, number>()

  constructor(timeBudgetMs: number, now = Date.now()) {
    this.deadline = now + timeBudgetMs
    this.reserveMs = Math.min(1000, Math.max(50, timeBudgetMs * 0.05))
  }

  observe(entrypoint: string, durationMs: number): void {
    const previous = this.#averages.get(entrypoint)
    // Slow runs raise the estimate at once, fast ones lower it gradually.
    const next = previous === undefined || durationMs > previous ? durationMs : previous * 0.7 + durationMs * 0.3
    this.#averages.set(entrypoint, next)
  }

  estimate(def: EntrypointDefinition): number | undefined {
    return this.#averages.get(def.name) ?? def.estimatedDurationMs
  }

  /** Time left for work, after the reserve. */
  remainingMs(now = Date.now()): number {
    return this.deadline - this.reserveMs - now
  }

  /**
   * How many jobs of this entrypoint to claim now: none if one would not finish in time;
   * one at a time while its duration is still unknown.
   */
  cap(def: EntrypointDefinition, wanted: number, runningOfIt: number, now = Date.now()): number {
    if (!this.fits(def, now)) return 0
    if (this.estimate(def) === undefined) return runningOfIt === 0 ? Math.min(1, wanted) : 0
    return wanted
  }

  /** Whether a job of this entrypoint could still finish in time, as far as is known. */
  fits(def: EntrypointDefinition, now = Date.now()): boolean {
    const remaining = this.remainingMs(now)
    return remaining > 0 && (this.estimate(def) ?? 0) <= remaining
  }
}
