import { DrainBudget } from './drain-budget.js'
import { WorkerCore } from './worker.js'
import { type DrainOptions, type DrainSummary, settings, type WorkerDeps } from './worker-settings.js'

/**
 * One serverless invocation: runs the maintenance services once, then claims and runs jobs
 * until the queue has nothing it can finish in the time budget, and writes every result
 * before the budget ends.
 */
export async function drain(options: DrainOptions, deps: WorkerDeps): Promise<DrainSummary> {
  const s = settings(options, deps, 'drain')
  const budget = new DrainBudget(s.timeBudgetMs)
  const w = new WorkerCore(s, deps, options, budget)
  try {
    await w.prepare()
    if (w.scheduler) await w.scheduler.runOnce().catch(w.reportError('schedule'))
    await w.heartbeat.start()
    await claimUntilDone(w, budget)
    // Running jobs get until the budget's reserve; what still runs then is abandoned to stale rescue.
    const summary = await w.finish(Math.max(0, budget.deadline - budget.reserveMs - Date.now()), budget.deadline)
    const remaining = await w.consumer.eligible([...w.servedNames]).catch((error) => {
      w.reportError('count')(error)
      return -1
    })
    // Retention after the jobs, in what is left of the budget (at most 5 s), on the one drain holding the lease.
    const sliceMs = Math.min(5000, budget.deadline - budget.reserveMs - Date.now())
    if (w.pruner && sliceMs > 0) await w.pruner.runOnce(sliceMs).catch(w.reportError('prune'))
    return { ...summary, remaining }
  } finally {
    await w.release()
  }
}

async function claimUntilDone(w: WorkerCore, budget: DrainBudget): Promise<void> {
  const { s, runner } = w
  while (!w.stopping) {
    if (budget.remainingMs() <= 0) {
      w.stoppedBy = 'budget'
      return
    }
    const free = s.maxConcurrentTasks - runner.size
    const specs = free > 0 ? w.claimable(free) : []
    if (specs.length === 0) {
      if (runner.size === 0) {
        w.stoppedBy = 'budget' // nothing it serves can finish in the time left
        return
      }
      await w.wakeup.wait(Math.max(1, budget.remainingMs()))
      continue
    }
    const want = Math.min(s.batchSize, free)
    const jobs = await w.claim(want, specs)
    if (!jobs) continue
    if (jobs.length === want) continue // there may be more: claim again at once
    if (runner.size > 0) {
      // Less than asked while jobs run: sleep until one finishes, a job arrives, or the budget ends.
      await w.wakeup.wait(Math.max(1, budget.remainingMs()))
      continue
    }
    // Idle: done when each entrypoint either had less than asked or cannot finish in time.
    const exhausted = s.served.every((def) => {
      const spec = specs.find((x) => x.name === def.name)
      return spec ? jobs.filter((j) => j.entrypoint === def.name).length < spec.cap : !budget.fits(def)
    })
    if (!exhausted) continue
    // Results still buffered may release jobs that depend on them: write them before looking.
    await w.buffer.flush() // (and one under way)
    const fitting = s.served.filter((def) => budget.fits(def)).map((def) => def.name)
    // Jobs still eligible but not given to us are held back by limits other workers hold: wait.
    const waiting = fitting.length ? await w.consumer.eligible(fitting).catch(() => 0) : 0
    if (waiting === 0) {
      w.stoppedBy = fitting.length < s.served.length ? 'budget' : 'empty'
      return
    }
    // Without limits, what we could not claim is being claimed by another worker right
    // now (or was just retried): look again soon rather than after a whole poll interval.
    const wait = w.limited ? s.pollIntervalMs : 20
    await w.wakeup.wait(Math.min(wait, s.pollIntervalMs, Math.max(1, budget.remainingMs())))
  }
}
