import { translateError } from '../driver/translate-error.js'
import { ConfigurationError, DatabaseAccessError, DatabaseUnavailableError, SchemaOutdatedError } from '../errors.js'
import { type ClaimEntrypoint, type Consumer, createConsumer } from '../queue/consumer.js'
import { isLimited } from '../queue/fleet.js'
import { HeartbeatService } from '../services/heartbeat.js'
import type { PrunerService } from '../services/pruner.js'
import { SchedulerService } from '../services/scheduler.js'
import type { Job } from '../types.js'
import type { DrainBudget } from './drain-budget.js'
import { DrainBudgetError } from './entrypoints.js'
import { JobRunner } from './job-runner.js'
import type { QueueEvents } from './queue-events.js'
import { ResultBuffer } from './result-buffer.js'
import { Wakeup } from '../services/wakeup.js'
import { firesSchedules, type RunSummary, type WorkerDeps, type WorkerOptions, type WorkerSettings } from './worker-settings.js'

/** The wait after the n-th failure in a row of a start or a claim: 0.2 s, doubling, at most 5 s. */
const retryDelayMs = (failures: number) => Math.min(5000, 100 * 2 ** failures)

export type { DrainOptions, DrainSummary, RunSummary, StartOptions, WorkerHandle } from './worker-settings.js'

/** How often a long-lived worker re-reads whether its entrypoints are limited. */
const POLICY_RECHECK_MS = 5_000

/**
 * What the drain loop and the continuous loop share: the consumer, the runner, the result
 * buffer, the heartbeat, the claim, and the way a run ends. Each loop decides when to claim.
 */
export class WorkerCore {
  readonly consumer: Consumer
  readonly wakeup = new Wakeup()
  readonly runner: JobRunner
  readonly buffer: ResultBuffer
  readonly heartbeat: HeartbeatService
  /** Fires due schedules: in the background of a continuous worker, once in a drain. */
  readonly scheduler: SchedulerService | undefined
  /** Retention, on the worker that holds the fleet's lease. */
  readonly pruner: PrunerService | undefined
  readonly started = performance.now()
  readonly servedNames: Set<string>
  /** Any served entrypoint has a fleet-wide limit (from the stored policy, read at start). */
  limited = false
  /** The last claim got all it asked for, or was capped below the batch size. */
  maybeMore = false
  stopping = false
  forced = false
  stoppedBy: RunSummary['stoppedBy'] = 'signal'
  /** A drain's claim failed for a reason waiting will not mend: the drain rejects with it once its jobs are written. */
  failure: Error | undefined
  /** A drain's budget ran out with runs still going (they failed with DrainBudgetError). */
  cutShort = false
  /** Why the last results could not be written before the end (see RunCounts.unwritten). */
  writeFailure: unknown
  readonly #forcedWaiters: (() => void)[] = []
  #claimFailures = 0

  constructor(
    readonly s: WorkerSettings,
    readonly deps: WorkerDeps,
    options: WorkerOptions,
    readonly budget?: DrainBudget,
  ) {
    this.servedNames = new Set(s.served.map((d) => d.name))
    this.consumer = createConsumer({
      driver: deps.driver,
      schema: deps.schema,
      workerId: s.workerId,
      ready: deps.ready,
      asyncCommit: s.asyncCommit,
      unloggedEntrypoints: s.served.filter((d) => !d.logSuccess).map((d) => d.name),
    })
    // A finished job holds its concurrency slot until its result is written, so limited
    // entrypoints are claimed again after each write (and after other workers' 'done' events).
    this.buffer = new ResultBuffer({
      consumer: this.consumer,
      maxBatch: Math.max(s.batchSize, 100),
      delayMs: s.flushDelayMs,
      onError: this.reportError('flush'),
      onWritten: () => {
        if (this.limited) this.wakeup.wake()
      },
      onNotHeld: (results) => this.runner.recount(results, 'lost'),
      onUnwritable: (results) => this.runner.recount(results, 'unwritten'),
    })
    this.runner = new JobRunner({
      workerId: s.workerId,
      buffer: this.buffer,
      events: deps.events,
      definitions: deps.definitions,
      tracing: deps.tracing,
      dependencyResults: (id) => this.consumer.dependencyResults(id),
      onFinished: (entrypoint, durationMs) => {
        budget?.observe(entrypoint, durationMs)
        // A free slot matters when the last claim was cut short by capacity, or in a drain
        // (which claims again before it ends); otherwise the queue had no more to give.
        if (budget || this.maybeMore) this.wakeup.wake()
      },
    })
    this.heartbeat = new HeartbeatService({
      consumer: this.consumer,
      intervalMs: s.heartbeatIntervalMs,
      heldIds: () => [...this.runner.ids(), ...this.buffer.pendingIds()],
      progress: this.runner.progress,
      onLost: (ids, canceled) => {
        this.runner.drop(canceled, 'canceled')
        this.runner.drop(ids, 'not-held')
      },
      onError: this.reportError('heartbeat'),
    })
    this.scheduler = firesSchedules(options, deps) ? new SchedulerService(deps.schedules!, { onError: this.reportError('schedule') }) : undefined
    this.pruner = options.maintenance === false ? undefined : deps.pruner(s.workerId)
    const onAbort = () => this.stop()
    options.signal?.addEventListener('abort', onAbort, { once: true })
    this.#removeAbortListener = () => options.signal?.removeEventListener('abort', onAbort)
  }

  readonly #removeAbortListener: () => void

  reportError(during: QueueEvents['worker:error']['during']) {
    return (error: unknown) => this.deps.events.emit('worker:error', { error, during })
  }

  /** Registers (once per queue) and reads whether any served entrypoint is limited fleet-wide. */
  async prepare(): Promise<void> {
    const policies = await this.deps.ready()
    this.limited = this.s.served.some((d) => isLimited(policies.get(d.name)))
    // A drain starts from the last hour's slowest run rather than claiming one job to learn it;
    // but one the whole budget cannot hold would stop every such drain from running any of its
    // jobs for the hour: then it learns from one job, as with no history.
    for (const def of this.s.served) {
      const ms = policies.get(def.name)?.recentRunMs
      if (ms !== undefined && this.budget && ms <= this.budget.remainingMs()) this.budget.observe(def.name, ms)
    }
  }

  /**
   * prepare(), then `more` (a continuous worker's services), again after a backoff while the
   * database is unavailable (each failure reported as 'start'), until they succeed or the
   * worker is stopped (false). Any other failure rejects: it will not mend by waiting.
   */
  async startUp(more: () => Promise<void>): Promise<boolean> {
    for (let failures = 1; !this.stopping; failures++) {
      try {
        await this.prepare()
        await more()
        return true
      } catch (error) {
        const translated = translateError(error)
        if (!(translated instanceof DatabaseUnavailableError)) throw translated
        this.reportError('start')(translated)
        await this.wakeup.wait(retryDelayMs(failures))
      }
    }
    return false
  }

  stop(force = false): void {
    if (force && !this.forced) {
      this.forced = true
      this.runner.abandonAll()
      for (const resolve of this.#forcedWaiters.splice(0)) resolve()
    }
    this.stopping = true
    this.wakeup.wake()
  }

  /** What to ask each served entrypoint for, with `free` slots: worker caps and the budget applied. */
  claimable(free: number): ClaimEntrypoint[] {
    const want = Math.min(this.s.batchSize, free)
    const specs: ClaimEntrypoint[] = []
    for (const def of this.s.served) {
      let cap = want
      if (def.workerConcurrency) cap = Math.min(cap, def.workerConcurrency - this.runner.runningOf(def.name))
      if (this.budget) cap = this.budget.cap(def, cap, this.runner.runningOf(def.name))
      if (cap > 0) specs.push({ name: def.name, cap, retryAfterMs: def.retryAfterMs })
    }
    return specs
  }

  /** Jobs due when the last claim began (drains only; at most want + 1; undefined: unknown). */
  lastDue: number | undefined

  #policiesReadAt = Date.now()

  /**
   * A limit set after this worker started (setEntrypointPolicy, another deployment) makes it
   * limited: it must then claim after each write and each 'done' event, not only per poll,
   * or the limit's slots stay empty. Read at most every POLICY_RECHECK_MS.
   */
  async recheckLimits(): Promise<void> {
    if (!this.deps.policies || Date.now() - this.#policiesReadAt < POLICY_RECHECK_MS) return
    this.#policiesReadAt = Date.now()
    try {
      this.limited = (await this.deps.policies([...this.servedNames])).some(isLimited)
    } catch (error) {
      this.reportError('claim')(error)
    }
  }

  /** Claims and starts up to `want` jobs; undefined after a failed claim (reported, then a backoff wait). */
  async claim(want: number, specs: ClaimEntrypoint[]): Promise<Job[] | undefined> {
    let jobs: Job[]
    try {
      if (this.budget) {
        const claimed = await this.consumer.claimAndLook(want, specs)
        jobs = claimed.jobs
        this.lastDue = claimed.due
      } else {
        jobs = await this.consumer.claim(want, specs)
      }
      this.#claimFailures = 0
    } catch (error) {
      this.reportError('claim')(error)
      // Waiting mends none of these: a drain rejects with it once its jobs are written.
      if (this.budget && (error instanceof SchemaOutdatedError || error instanceof DatabaseAccessError || error instanceof ConfigurationError)) {
        this.failure = error
        this.stop()
        return undefined
      }
      this.#claimFailures++
      // A drain's retries stay inside its budget.
      const left = this.budget ? Math.max(1, this.budget.remainingMs()) : Number.POSITIVE_INFINITY
      await this.wakeup.wait(Math.min(retryDelayMs(this.#claimFailures), left))
      return undefined
    }
    // Before the jobs start: a synchronous handler finishes (and may wake the loop) inside start().
    this.maybeMore = jobs.length === want || want < this.s.batchSize || specs.some((x) => x.cap < want)
    for (const job of jobs) this.runner.start(job)
    return jobs
  }

  /**
   * The end of a run: running jobs get `graceMs`, then what still runs is abandoned to stale
   * rescue (a drain's, `expire`: failed with DrainBudgetError, unless a signal forced the
   * stop); results are written until `deadline`; the heartbeat stops last.
   */
  async finish(graceMs: number, deadline: number, atGraceEnd: 'abandon' | 'expire' = 'abandon'): Promise<RunSummary> {
    const whenForced = this.forced ? Promise.resolve(false) : new Promise<boolean>((resolve) => this.#forcedWaiters.push(() => resolve(false)))
    if (!(await Promise.race([this.runner.idle(graceMs), whenForced]))) {
      if (atGraceEnd === 'expire' && !this.forced) {
        this.runner.expireAll((job, ranMs) => new DrainBudgetError(job.id, job.entrypoint, ranMs))
        this.stoppedBy = 'budget'
        this.cutShort = true
        // Their last progress, while their failures wait in the buffer (the jobs still held).
        if (this.runner.progress.size > 0) await this.heartbeat.runOnce()
      } else {
        this.stop(true)
      }
    }
    if (this.forced) this.stoppedBy = 'forced'
    if (!(await this.buffer.drain(deadline))) {
      const { results, error } = this.buffer.unwritten()
      this.runner.recount(results, 'unwritten')
      this.writeFailure = error
    }
    this.buffer.close()
    await this.heartbeat.stop()
    return { ...this.runner.counts, durationMs: performance.now() - this.started, stoppedBy: this.stoppedBy }
  }

  /** Whatever happened, nothing keeps running after the loop. */
  async release(): Promise<void> {
    this.#removeAbortListener()
    await this.heartbeat.stop()
    await this.scheduler?.stop()
    await this.pruner?.stop()
  }
}
