import { Wakeup } from './wakeup.js'
import type { Service } from './service.js'

/** What the scheduler loop drives: a queue's registered schedules. */
export interface ScheduleSource {
  readonly size: number
  fireDue(options: { signal?: AbortSignal; timeoutMs?: number }): Promise<unknown>
  nextWake(now: Date): Date | null
  /** The schedules' clock. */
  now(): Date
}

/** Re-checks at least this often: a clock jump or a tick skipped while its row was locked is caught up. */
export const SCHEDULER_MAX_SLEEP_MS = 10_000
// Timers may fire a hair before the tick; waking just after it saves a useless round trip.
const WAKE_MARGIN_MS = 5

/**
 * The scheduler service: fires due schedules, sleeps until the earliest next tick
 * (computed locally from the expressions, no query), repeats. Other processes firing the
 * same ticks are harmless: each tick is claimed once in the database. A drain calls
 * runOnce(); stop() aborts the signal of an inline handler still running and awaits it.
 */
export class SchedulerService implements Service {
  readonly name = 'scheduler'
  readonly #wakeup = new Wakeup()
  readonly #abort = new AbortController()
  #loop: Promise<void> | undefined
  #stopping = false

  constructor(
    private readonly source: ScheduleSource,
    private readonly options: { maxSleepMs?: number; onError(error: unknown): void },
  ) {}

  async start(): Promise<void> {
    this.#loop ??= this.#run()
  }

  /** Fires due schedules once; `timeoutMs` bounds the wait for inline handlers (a drain's budget). */
  async runOnce(timeoutMs?: number): Promise<void> {
    await this.source.fireDue({ signal: this.#abort.signal, timeoutMs })
  }

  async stop(): Promise<void> {
    this.#stopping = true
    this.#abort.abort()
    this.#wakeup.wake()
    await this.#loop
  }

  async #run(): Promise<void> {
    const maxSleepMs = this.options.maxSleepMs ?? SCHEDULER_MAX_SLEEP_MS
    let failures = 0
    while (!this.#stopping) {
      try {
        await this.runOnce()
        failures = 0
      } catch (error) {
        this.options.onError(error)
        failures++
      }
      if (this.#stopping) return
      const now = this.source.now().getTime()
      const next = this.source.nextWake(new Date(now))
      const untilTick = next ? next.getTime() - now + WAKE_MARGIN_MS : maxSleepMs
      // A failed fire left its ticks due: retry with backoff rather than wait for the next tick.
      const sleep = failures > 0 ? 100 * 2 ** failures : untilTick
      await this.#wakeup.wait(Math.min(maxSleepMs, Math.max(sleep, 0)))
    }
  }
}
