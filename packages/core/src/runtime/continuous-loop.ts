import { ListenerService } from '../services/listener.js'
import { ServiceGroup } from '../services/service.js'
import { WorkerCore } from './worker.js'
import { type RunSummary, type StartOptions, settings, type WorkerDeps, type WorkerHandle } from './worker-settings.js'

/**
 * A long-lived worker: its services (listener, heartbeat, scheduler) run beside a claim
 * loop that sleeps until a notification, a finished job or the poll interval wakes it,
 * until stop() or the signal.
 */
export function startContinuous(options: StartOptions, deps: WorkerDeps): WorkerHandle {
  const s = settings(options, deps, 'start')
  const w = new WorkerCore(s, deps, options)
  const listener = new ListenerService({
    driver: deps.driver,
    channel: deps.channel,
    healthCheckIntervalMs: s.listener.healthCheckIntervalMs,
    roundTripTimeoutMs: s.listener.roundTripTimeoutMs,
    onNotification(n) {
      if (n.type === 'insert' && (n.entrypoints === 'all' || Object.keys(n.entrypoints).some((e) => w.servedNames.has(e)))) w.wakeup.wake()
      else if (n.type === 'cancel') w.runner.drop(n.ids, 'canceled')
      else if (n.type === 'done' && w.limited) w.wakeup.wake()
    },
    onLost: (error) => deps.events.emit('listener:lost', { error }),
    onRestored: () => {
      deps.events.emit('listener:restored', {})
      w.wakeup.wake() // notifications may have been missed while it was down
    },
  })
  // The heartbeat is stopped by finish(), after the last results are written.
  const services = new ServiceGroup([listener, ...(w.scheduler ? [w.scheduler] : []), ...(w.pruner ? [w.pruner] : [])])

  async function run(): Promise<RunSummary> {
    try {
      // A worker started while PostgreSQL is down or restarting waits for it.
      if (await w.startUp(() => services.start())) {
        await w.heartbeat.start()
        await claimUntilStopped(w)
      }
      await w.scheduler?.stop()
      return await w.finish(s.shutdownTimeoutMs, Date.now() + s.shutdownTimeoutMs)
    } finally {
      await w.release()
      await services.stop()
    }
  }

  const done = run()
  return {
    workerId: s.workerId,
    done,
    stop(opts = {}) {
      w.stop(opts.force)
      return done
    },
  }
}

async function claimUntilStopped(w: WorkerCore): Promise<void> {
  const { s, runner } = w
  while (!w.stopping) {
    const free = s.maxConcurrentTasks - runner.size
    const specs = free > 0 ? w.claimable(free) : []
    if (specs.length === 0) {
      await w.wakeup.wait(s.pollIntervalMs)
      continue
    }
    const want = Math.min(s.batchSize, free)
    const jobs = await w.claim(want, specs)
    if (jobs && jobs.length === want) continue // there may be more: claim again at once
    // Less than asked (or a failed claim, already waited for): sleep until a job arrives or finishes, or the poll timer.
    if (jobs) await w.wakeup.wait(s.pollIntervalMs)
    await w.recheckLimits()
  }
}
