// An anchor that fails during a scenario (a worker that dies, a library error) does not end
// the run: the failure is logged, recorded for the report ('failed' cells and the reason) and
// the anchor sits out the rest of that scenario; the bench then exits non-zero. pgq failing
// ends the run at once: that is a bug to fix, not an anchor to report.
import type { QueueName } from './adapters.ts'
import type { Ctx } from './context.ts'

/** Runs one queue's part of a scenario; undefined if the anchor failed (now or earlier in this scenario). */
export async function guarded<T>(ctx: Ctx, scenario: number, queue: QueueName, fn: () => Promise<T>): Promise<T | undefined> {
  if (ctx.failed[queue]?.[scenario]) return undefined
  try {
    return await fn()
  } catch (error) {
    if (queue === 'pgq') throw error
    const reason = String(error instanceof Error ? error.message : error).split('\n')[0]!.slice(0, 300)
    ctx.failed[queue] = { ...ctx.failed[queue], [scenario]: reason }
    ctx.log(`FAILED: ${queue} in scenario ${scenario}: ${reason} (it sits out the rest of this scenario)`)
    return undefined
  }
}
