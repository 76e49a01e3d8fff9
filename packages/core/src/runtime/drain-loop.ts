import type { DrainTail } from '../queue/consumer.js'
import { DrainBudget } from './drain-budget.js'
import { WorkerCore } from './worker.js'
import { type DrainOptions, type DrainSummary, settings, type WorkerDeps } from './worker-settings.js'

/**
 * One serverless invocation: runs the maintenance services once, then claims and runs jobs
 * until the queue has nothing it can finish in the time budget, and writes every result
 * before the budget ends. One batch costs three round trips after connect: registration,
 * the claim, and the last write, which also says whether more is due and whether retention
 * is (drainTail); retention then runs only when no drain of the last minute ran it.
 */
export async function drain(options: DrainOptions, deps: WorkerDeps): Promise<DrainSummary> {
  const s = settings(options, deps, 'drain')
  const budget = new DrainBudget(s.timeBudgetMs)
  const w = new WorkerCore(s, deps, options, budget)
  try {
    await w.prepare()
    if (w.scheduler) await w.scheduler.runOnce(Math.max(0, budget.remainingMs())).catch(w.reportError('schedule'))
    await w.heartbeat.start()
    // Results may wait a little, so that the last ones go with the look (flushLast).
    w.buffer.hold(LOOK_HOLD_MS)
    const tail = await claimUntilDone(w, budget)
    // Running jobs get until the budget's reserve; what still runs then fails with DrainBudgetError.
    const summary = await w.finish(Math.max(0, budget.deadline - budget.reserveMs - Date.now()), budget.deadline, 'expire')
    if (w.failure) throw w.failure
    // "Writes every result": one it could not write is this drain's failure, not a success.
    if (summary.unwritten > 0 && w.writeFailure !== undefined) throw w.writeFailure
    const remaining =
      tail?.eligible ??
      (await w.consumer.eligible([...w.servedNames]).catch((error) => {
        w.reportError('count')(error)
        return -1
      }))
    // Retention after the jobs, in what is left of the budget (at most 5 s), on the one drain holding the lease.
    const sliceMs = Math.min(5000, budget.deadline - budget.reserveMs - Date.now())
    if (w.pruner && sliceMs > 0 && tail?.pruneDue !== false) await w.pruner.runOnce(sliceMs, { keep: true }).catch(w.reportError('prune'))
    // Stopped for want of time, but nothing was left to do: the queue was empty after all.
    const stoppedBy = summary.stoppedBy === 'budget' && remaining === 0 && !w.cutShort ? 'empty' : summary.stoppedBy
    return { ...summary, stoppedBy, remaining }
  } finally {
    await w.release()
  }
}

/** How long a drain's results may wait for the look (a timed flush comes no sooner). */
const LOOK_HOLD_MS = 100

/**
 * Claims and runs until nothing it serves is due or fits in the budget. Returns the last
 * look (drainTail) when it ended on one that covered every served entrypoint.
 */
async function claimUntilDone(w: WorkerCore, budget: DrainBudget): Promise<DrainTail | undefined> {
  const { s, runner } = w
  // The last claim gave less than asked: once nothing runs, look before claiming again.
  let short = false
  let empty = false
  while (!w.stopping) {
    if (budget.remainingMs() <= 0) {
      w.stoppedBy = 'budget'
      return undefined
    }
    const free = s.maxConcurrentTasks - runner.size
    const specs = free > 0 ? w.claimable(free) : []
    if (specs.length === 0) {
      if (runner.size === 0) {
        w.stoppedBy = 'budget' // nothing it serves can finish in the time left
        return undefined
      }
      await w.wakeup.wait(Math.max(1, budget.remainingMs()))
      continue
    }
    if (short && runner.size === 0) {
      const fitting = s.served.filter((def) => budget.fits(def)).map((def) => def.name)
      if (fitting.length === 0) {
        w.stoppedBy = 'budget' // nothing it serves can finish in the time left
        return undefined
      }
      // The results still buffered go with the look: jobs they release count as due.
      const tail = await w.buffer.flushLast(fitting).catch((error: unknown) => {
        w.reportError('flush')(error)
        return undefined
      })
      const whole = fitting.length === s.served.length
      if (tail?.eligible === 0) {
        w.stoppedBy = whole ? 'empty' : 'budget'
        return whole ? tail : undefined
      }
      if (empty) {
        // Jobs are due but the last claim got none: limits other workers hold, or another
        // worker claiming them right now. Look again soon rather than after a whole poll.
        const wait = w.limited ? s.pollIntervalMs : 20
        await w.wakeup.wait(Math.min(wait, s.pollIntervalMs, Math.max(1, budget.remainingMs())))
      }
      short = false
    }
    const want = Math.min(s.batchSize, free)
    const jobs = await w.claim(want, specs)
    if (!jobs) continue
    // Short: all there were, as the claim's lookahead counted them (more due than it took:
    // the budget or a cap held it back, not the queue); without one, fewer than asked.
    short = w.lastDue !== undefined ? w.lastDue <= jobs.length : jobs.length < want
    empty = jobs.length === 0
    // Less than asked while jobs run: sleep until one finishes, a job arrives, or the budget ends.
    if (short && runner.size > 0) await w.wakeup.wait(Math.max(1, budget.remainingMs()))
  }
  return undefined
}
