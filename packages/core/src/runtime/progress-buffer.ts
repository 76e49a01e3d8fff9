import type { JobId } from '../types.js'

/**
 * The latest ctx.progress() of each running job, as JSON text, until the next heartbeat
 * writes it: a handler may report a thousand times per beat, the database sees the last.
 */
export class ProgressBuffer {
  #pending = new Map<JobId, string>()

  get size(): number {
    return this.#pending.size
  }

  set(id: JobId, text: string): void {
    this.#pending.set(id, text)
  }

  delete(id: JobId): void {
    this.#pending.delete(id)
  }

  /** Takes what is pending for the `held` jobs; the rest belongs to no job held here any more. */
  take(held: readonly JobId[]): Map<JobId, string> | undefined {
    if (this.#pending.size === 0) return undefined
    const pending = this.#pending
    this.#pending = new Map()
    const taken = new Map<JobId, string>()
    for (const id of held) {
      const text = pending.get(id)
      if (text !== undefined) taken.set(id, text)
    }
    return taken.size > 0 ? taken : undefined
  }

  /** A write failed: what no newer report replaced meanwhile goes out with the next beat. */
  putBack(taken: ReadonlyMap<JobId, string>): void {
    for (const [id, text] of taken) if (!this.#pending.has(id)) this.#pending.set(id, text)
  }
}
