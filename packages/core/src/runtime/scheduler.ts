import { Wakeup } from './wakeup.js'

/** What the scheduler loop drives: a queue's registered schedules. */
export interface ScheduleSource {
  readonly size: number
  fireDue(options: { signal?: AbortSignal }): Promise<unknown>
  nextWake(now: Date): Date | null
}

export interface SchedulerHandle {
  /** Stops the loop; an inline handler still running sees its signal abort and is awaited. */
  stop(): Promise<void>
}

/** Re-checks at least this often: a clock jump or a tick skipped while its row was locked is caught up. */
export const SCHEDULER_MAX_SLEEP_MS = 10_000
// Timers may fire a hair before the tick; waking just after it saves a useless round trip.
const WAKE_MARGIN_MS = 5

/**
 * A continuous worker's scheduler: fires due schedules, sleeps until the earliest next tick
 * (computed locally from the expressions, no query), repeats. Other processes firing the
 * same ticks are harmless: each tick is claimed once in the database.
 */
export function startScheduler(
  source: ScheduleSource,
  options: { maxSleepMs?: number; onError(error: unknown): void },
): SchedulerHandle {
  const maxSleepMs = options.maxSleepMs ?? SCHEDULER_MAX_SLEEP_MS
  const wakeup = new Wakeup()
  const abort = new AbortController()
  let stopping = false

  async function loop(): Promise<void> {
    let failures = 0
    while (!stopping) {
      try {
        await source.fireDue({ signal: abort.signal })
        failures = 0
      } catch (error) {
        options.onError(error)
        failures++
      }
      if (stopping) return
      const now = Date.now()
      const next = source.nextWake(new Date(now))
      const untilTick = next ? next.getTime() - now + WAKE_MARGIN_MS : maxSleepMs
      // A failed fire left its ticks due: retry with backoff rather than wait for the next tick.
      const sleep = failures > 0 ? 100 * 2 ** failures : untilTick
      await wakeup.wait(Math.min(maxSleepMs, Math.max(sleep, 0)))
    }
  }

  const done = loop()
  return {
    stop() {
      stopping = true
      abort.abort()
      wakeup.wake()
      return done
    },
  }
}
