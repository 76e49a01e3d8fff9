import type { Consumer } from '../queue/consumer.js'
import type { ProgressBuffer } from '../runtime/progress-buffer.js'
import type { JobId } from '../types.js'
import type { Service } from './service.js'

/**
 * Every interval, one statement refreshes the heartbeat of all jobs this worker holds
 * (running, or finished with the result still buffered), and writes the progress they
 * reported since the last beat. Ids the database no longer gives back belong to nobody here
 * any more: canceled, or rescued by another worker.
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
      /** Progress waiting for the next beat. */
      progress?: ProgressBuffer
      /** `canceled`: those of `ids` canceled; the others were taken over or finished elsewhere. */
      onLost(ids: JobId[], canceled: ReadonlySet<JobId>): void
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
    const progress = this.deps.progress?.take(ids)
    try {
      const held = new Set(await this.deps.consumer.heartbeat(ids, progress))
      const lost = ids.filter((id) => !held.has(id))
      if (lost.length) this.deps.onLost(lost, new Set(await this.deps.consumer.canceledAmong(lost).catch(() => [])))
    } catch (error) {
      if (progress) this.deps.progress?.putBack(progress)
      this.deps.onError(error)
    }
  }

  /**
   * Stops beating. Progress still pending (jobs left running at the end of a drain, or at a
   * forced stop) is written by one last beat, so their last value is not lost.
   */
  async stop(): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
    await this.#inFlight
    if (this.deps.progress?.size) await this.runOnce()
  }
}

/**
 * A third of the shortest lease timeout, so two beats can be missed before a rescue; at least
 * 50 ms, but under half of a lease shorter than that.
 */
export function heartbeatInterval(leaseMs: number[], fallbackMs = 10_000): number {
  const timers = leaseMs.filter((ms) => ms > 0)
  if (timers.length === 0) return fallbackMs
  const shortest = Math.min(...timers)
  return Math.max(1, Math.min(50, Math.floor(shortest / 2)), Math.min(fallbackMs, Math.floor(shortest / 3)))
}
