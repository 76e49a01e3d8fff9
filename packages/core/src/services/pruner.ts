import type { Executor } from '../driver/driver.js'
import type { Lease } from '../queue/leases.js'
import { type PruneOptions, type PruneResult, prune } from '../queue/retention.js'
import type { Service } from './service.js'
import { Wakeup } from './wakeup.js'

export interface PrunerOptions {
  db: Executor
  schema: string
  lease: Lease
  retention: Omit<PruneOptions, 'deadline'>
  /** Between passes. Default 60 s. */
  intervalMs?: number
  /** Longest a pass runs before it yields to the next one. Default 10 s. */
  sliceMs?: number
  onPruned?(result: PruneResult): void
  onError(error: unknown): void
}

/** How long a one-shot pass's lease outlasts its slice. */
const ONE_SHOT_MARGIN_MS = 60_000

/**
 * Retention, on one worker of the fleet at a time (the holder of the 'pruner' lease): each
 * pass deletes expired log rows, held jobs and statistics in bounded batches. A continuous
 * worker runs it every interval and keeps the lease between passes (renewed by each), so
 * the fleet's pruner stays put; a one-shot pass (a drain, maintain(), `pgq prune`: runOnce()
 * without start()) holds it only while it runs, so the next cron invocation can prune
 * again at once, and a process killed mid-pass blocks the others for its slice plus a
 * minute at most. stop() cuts a pass short after the batch in flight.
 */
export class PrunerService implements Service {
  readonly name = 'pruner'
  readonly #wakeup = new Wakeup()
  #loop: Promise<void> | undefined
  #stopping = false
  /** start() was called: passes keep the lease between them. */
  #started = false
  /** Aborted by stop(): a pass in progress stops starting batches. */
  readonly #abort = new AbortController()
  /** This worker holds (or may hold) the lease: stop() gives it back. */
  #held = false

  constructor(private readonly o: PrunerOptions) {}

  async start(): Promise<void> {
    if (this.#stopping) return
    this.#started = true
    this.#loop ??= this.#run()
  }

  /**
   * One pass, if this worker gets the lease; null when another worker leads (or after stop()).
   * `keep` (a drain's pass): a pass that finished keeps the lease for the interval, so the
   * drains of the next minute skip retention without asking (drainTail's prune_due).
   */
  async runOnce(sliceMs = this.o.sliceMs ?? 10_000, options: { keep?: boolean } = {}): Promise<PruneResult | null> {
    if (this.#stopping) return null
    const intervalMs = this.o.intervalMs ?? 60_000
    const looping = this.#started
    // A leader's lease outlasts the pass and the next interval, so a slow pass does not lose
    // it midway; a one-shot pass's outlasts the pass by a margin, for a batch still in flight.
    if (!(await this.o.lease.acquire(sliceMs + (looping ? 2 * intervalMs : ONE_SHOT_MARGIN_MS)))) return null
    this.#held = true
    try {
      const result = await prune(this.o.db, this.o.schema, { ...this.o.retention, deadline: Date.now() + sliceMs, signal: this.#abort.signal })
      this.o.onPruned?.(result)
      if (options.keep && !looping && !result.more && (await this.o.lease.acquire(intervalMs).catch(() => false))) this.#held = false
      return result
    } finally {
      if (!looping) await this.#release()
    }
  }

  async stop(): Promise<void> {
    this.#stopping = true
    this.#abort.abort()
    this.#wakeup.wake()
    await this.#loop
    await this.#release()
  }

  async #release(): Promise<void> {
    if (!this.#held) return
    this.#held = false
    await this.o.lease.release().catch(() => undefined)
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      let more = false
      try {
        more = (await this.runOnce())?.more ?? false
      } catch (error) {
        this.o.onError(error)
      }
      if (this.#stopping) return
      // More left after a full slice: go on soon, but leave the database a breather.
      await this.#wakeup.wait(more ? 1000 : (this.o.intervalMs ?? 60_000))
    }
  }
}
