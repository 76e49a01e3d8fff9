import { type ClaimEntrypoint, createConsumer } from '../queue/consumer.js'
import { isLimited } from '../queue/fleet.js'
import { DrainBudget } from './drain-budget.js'
import { HeartbeatTicker } from './heartbeat-ticker.js'
import { JobRunner } from './job-runner.js'
import { type Listener, startListener } from './listener.js'
import type { QueueEvents } from './queue-events.js'
import { ResultBuffer } from './result-buffer.js'
import { startScheduler } from './scheduler.js'
import { Wakeup } from './wakeup.js'
import { firesSchedules, type RunOptions, type RunSummary, settings, type WorkerDeps, type WorkerHandle } from './worker-settings.js'

export type { RunOptions, RunSummary, WorkerHandle } from './worker-settings.js'

/** Starts a worker: claims jobs of the served entrypoints and runs them until stopped or drained. */
export function startWorker(options: RunOptions, deps: WorkerDeps): WorkerHandle {
  const s = settings(options, deps)
  const started = performance.now()
  const consumer = createConsumer({
    db: deps.driver.db,
    schema: deps.schema,
    workerId: s.workerId,
    ready: deps.ready,
    preparedStatements: deps.driver.preparedStatements,
    asyncCommit: s.asyncCommit,
    unloggedEntrypoints: s.served.filter((d) => !d.logSuccess).map((d) => d.name),
  })
  const wakeup = new Wakeup()
  const budget = s.mode === 'drain' ? new DrainBudget(s.timeBudgetMs) : undefined
  const servedNames = new Set(s.served.map((d) => d.name))
  const reportError = (during: QueueEvents['worker:error']['during']) => (error: unknown) =>
    deps.events.emit('worker:error', { error, during })
  // A finished job holds its concurrency slot until its result is written, so limited
  // entrypoints are claimed again after each write (and after other workers' 'done' events).
  // Whether any is limited comes from the stored policy, read when the worker registers.
  let limited = false
  const buffer = new ResultBuffer({
    consumer,
    maxBatch: Math.max(s.batchSize, 100),
    delayMs: s.flushDelayMs,
    onError: reportError('flush'),
    onWritten: () => {
      if (limited) wakeup.wake()
    },
  })
  const runner = new JobRunner({
    workerId: s.workerId,
    buffer,
    events: deps.events,
    definitions: deps.definitions,
    onFinished(entrypoint, durationMs) {
      budget?.observe(entrypoint, durationMs)
      // A free slot matters when the last claim was cut short by capacity, or in a drain
      // (which claims again before it ends); otherwise the queue had no more to give.
      if (budget || maybeMore) wakeup.wake()
    },
  })
  /** The last claim got all it asked for, or was capped below the batch size. */
  let maybeMore = false
  const heartbeat = new HeartbeatTicker({
    consumer,
    intervalMs: s.heartbeatIntervalMs,
    heldIds: () => [...runner.ids(), ...buffer.pendingIds()],
    onLost: (ids) => runner.drop(ids, 'not-held'),
    onError: reportError('heartbeat'),
  })

  let stopping = false
  let forced = false
  let stoppedBy: RunSummary['stoppedBy'] = 'signal'
  let listener: Listener | undefined
  let onForced: () => void = () => undefined
  const whenForced = new Promise<boolean>((resolve) => (onForced = () => resolve(false)))
  const stop = (force = false) => {
    if (force && !forced) {
      forced = true
      runner.abandonAll()
      onForced()
    }
    stopping = true
    wakeup.wake()
  }
  const onAbort = () => stop()
  options.signal?.addEventListener('abort', onAbort, { once: true })

  function claimable(free: number): ClaimEntrypoint[] {
    const want = Math.min(s.batchSize, free)
    const specs: ClaimEntrypoint[] = []
    for (const def of s.served) {
      let cap = want
      if (def.workerConcurrency) cap = Math.min(cap, def.workerConcurrency - runner.runningOf(def.name))
      if (budget) cap = budget.cap(def, cap, runner.runningOf(def.name))
      if (cap > 0) {
        specs.push({ name: def.name, cap, retryAfterMs: def.retryAfterMs })
      }
    }
    return specs
  }

  async function claimLoop(): Promise<void> {
    let failures = 0
    while (!stopping) {
      if (budget && budget.remainingMs() <= 0) {
        stoppedBy = 'budget'
        return
      }
      const free = s.maxConcurrentTasks - runner.size
      const specs = free > 0 ? claimable(free) : []
      if (specs.length === 0) {
        if (budget && runner.size === 0) {
          stoppedBy = 'budget' // nothing it serves can finish in the time left
          return
        }
        await wakeup.wait(s.pollIntervalMs)
        continue
      }
      const want = Math.min(s.batchSize, free)
      let jobs: Awaited<ReturnType<typeof consumer.claim>>
      try {
        jobs = await consumer.claim(want, specs)
        failures = 0
      } catch (error) {
        reportError('claim')(error)
        failures++
        await wakeup.wait(Math.min(5000, 100 * 2 ** failures))
        continue
      }
      for (const job of jobs) runner.start(job)
      maybeMore = jobs.length === want || want < s.batchSize || specs.some((x) => x.cap < want)
      if (jobs.length === want) continue // there may be more: claim again at once
      if (budget && runner.size === 0) {
        // Done when each entrypoint either had less than asked or cannot finish in time.
        const exhausted = s.served.every((def) => {
          const spec = specs.find((x) => x.name === def.name)
          return spec ? jobs.filter((j) => j.entrypoint === def.name).length < spec.cap : !budget.fits(def)
        })
        if (!exhausted) continue
        const fitting = s.served.filter((def) => budget.fits(def)).map((def) => def.name)
        // Jobs still eligible but not given to us are held back by limits other workers hold: wait.
        const waiting = fitting.length ? await consumer.eligible(fitting).catch(() => 0) : 0
        if (waiting === 0) {
          stoppedBy = fitting.length < s.served.length ? 'budget' : 'empty'
          return
        }
        // Without limits, what we could not claim is being claimed by another worker right
        // now (or was just retried): look again soon rather than after a whole poll interval.
        const wait = limited ? s.pollIntervalMs : 20
        await wakeup.wait(Math.min(wait, s.pollIntervalMs, Math.max(1, budget.remainingMs())))
        continue
      }
      // Less than asked: sleep until a job arrives or finishes, or the poll timer.
      await wakeup.wait(budget ? Math.max(1, budget.remainingMs()) : s.pollIntervalMs)
    }
  }

  async function run(): Promise<RunSummary> {
    const policies = await deps.ready()
    limited = s.served.some((d) => isLimited(policies.get(d.name)))
    if (s.mode === 'continuous') {
      listener = await startListener({
        driver: deps.driver,
        channel: deps.channel,
        healthCheckIntervalMs: options.listener?.healthCheckIntervalMs,
        roundTripTimeoutMs: options.listener?.roundTripTimeoutMs,
        onNotification(n) {
          if (n.type === 'insert' && (n.entrypoints === 'all' || Object.keys(n.entrypoints).some((e) => servedNames.has(e)))) wakeup.wake()
          else if (n.type === 'cancel') runner.drop(n.ids, 'canceled')
          else if (n.type === 'done' && limited) wakeup.wake()
        },
        onLost: (error) => deps.events.emit('listener:lost', { error }),
        onRestored: () => {
          deps.events.emit('listener:restored', {})
          wakeup.wake() // notifications may have been missed while it was down
        },
      })
    }
    if (s.mode === 'drain' && firesSchedules(options, deps)) await deps.schedules!.fireDue({}).catch(reportError('schedule'))
    const scheduler =
      s.mode === 'continuous' && firesSchedules(options, deps) ? startScheduler(deps.schedules!, { onError: reportError('schedule') }) : undefined
    heartbeat.start()
    try {
      await claimLoop()
      await scheduler?.stop()
      // Running jobs get until the budget's reserve (drain) or the shutdown timeout; what
      // still runs then is abandoned to stale rescue.
      const graceMs = budget ? Math.max(0, budget.deadline - budget.reserveMs - Date.now()) : s.shutdownTimeoutMs
      if (!(await Promise.race([runner.idle(graceMs), whenForced]))) stop(true)
      if (forced) stoppedBy = 'forced'
      const deadline = budget ? budget.deadline : Date.now() + s.shutdownTimeoutMs
      await buffer.drain(deadline)
      buffer.close()
      await heartbeat.stop()
      let remaining = -1
      if (budget) {
        remaining = await consumer.eligible([...servedNames]).catch((error) => {
          reportError('count')(error)
          return -1
        })
      }
      return { ...runner.counts, remaining, durationMs: performance.now() - started, stoppedBy }
    } finally {
      options.signal?.removeEventListener('abort', onAbort)
      await heartbeat.stop()
      await scheduler?.stop()
      await listener?.close()
    }
  }

  const done = run()
  return {
    workerId: s.workerId,
    done,
    stop(opts = {}) {
      stop(opts.force)
      return done
    },
  }
}
