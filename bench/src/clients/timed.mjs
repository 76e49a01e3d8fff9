// The timed loops the enqueue and latency scenarios measure, built on a connection's two
// enqueue calls. They run in the process that enqueues, so a client served over IPC (an
// anchor on Node 22) is timed without the IPC hop.
import { now } from '../workers/protocol.mjs'

/** `basic`: { enqueueOne(payload), enqueueBatch(payloads), close() } of one open connection. */
export function withTimedLoops(basic) {
  return {
    ...basic,
    /** `n` single enqueues of `{}`, each awaited before the next; elapsed ms. */
    async timeSingles(n) {
      const t0 = now()
      for (let i = 0; i < n; i++) await basic.enqueueOne({})
      return now() - t0
    },
    /** `jobs` jobs of `{}` in batches of `size`, one batch after another; elapsed ms. */
    async timeBatches(jobs, size) {
      const t0 = now()
      for (let done = 0; done < jobs; done += size) {
        await basic.enqueueBatch(Array.from({ length: Math.min(size, jobs - done) }, () => ({})))
      }
      return now() - t0
    },
    /** One enqueue with this machine's clock read just before and after it. */
    async enqueueTimed(payload) {
      const t0 = now()
      await basic.enqueueOne(payload)
      return { t0, t1: now() }
    },
  }
}
