import type { Consumer } from '../queue/consumer.js'
import type { JobId } from '../types.js'
import type { Service } from './service.js'

/**
 * Every interval, one statement refreshes the heartbeat of all jobs this worker holds
 * (running, or finished with the result still buffered). Ids the database no longer
 * gives back belong to nobody here any more: canceled, or rescued by another worker.
 */
export class HeartbeatService implements Service {
  readonly name = 'heartbeat'
  #timer: ReturnType<typeof setInterval> | undefined
  #inFlight: Promise<void> | undefined

  constructor(
    private readonly deps: {
      consumer: Consumer
      intervalMs: number
      heldIds(): JobId[]
      onLost(ids: JobId[]): void
      onError(error: unknown): void
    },
  ) {}

  async start(): Promise<void> {
    this.#timer ??= setInterval(() => {
      this.#inFlight ??= this.runOnce().finally(() => (this.#inFlight = undefined))
    }, this.deps.intervalMs)
    ;(this.#timer as { unref?: () => void }).unref?.()
  }

  async runOnce(): Promise<void> {
    const ids = this.deps.heldIds()
    if (ids.length === 0) return
    try {
      const held = new Set(await this.deps.consumer.heartbeat(ids))
      const lost = ids.filter((id) => !held.has(id))
      if (lost.length) this.deps.onLost(lost)
    } catch (error) {
      this.deps.onError(error)
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
    await this.#inFlight
  }
}

/** A third of the shortest lease timeout, so two beats can be missed before a rescue. */
export function heartbeatInterval(leaseMs: number[], fallbackMs = 10_000): number {
  const timers = leaseMs.filter((ms) => ms > 0)
  if (timers.length === 0) return fallbackMs
  return Math.max(50, Math.min(fallbackMs, Math.floor(Math.min(...timers) / 3)))
}
