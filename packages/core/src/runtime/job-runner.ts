import { failureOf } from '../queue/retry-policy.js'
import type { DependencyResult, Failure, Job, JobId } from '../types.js'
import type { Emitter } from './emitter.js'
import { type EntrypointDefinition, type JobContext, JobTimeoutError, PayloadValidationError, validatePayload } from './entrypoints.js'
import type { QueueEvents } from './queue-events.js'
import type { BufferedResult, ResultBuffer } from './result-buffer.js'
import { resultText } from './job-output.js'
import { RunContext, type RunContextDeps, type RunState } from './run-context.js'
import { ProgressBuffer } from './progress-buffer.js'
import type { RunSpan, Tracing } from '../observability/tracing.js'

interface RunningJob extends RunState {
  def: EntrypointDefinition
  startedAt: number
  /** Its timeout's timer, cleared when it settles. */
  timer: ReturnType<typeof setTimeout> | undefined
  /** Its run span, with tracing on. */
  span: RunSpan | undefined
}

export interface RunCounts {
  claimed: number
  succeeded: number
  failed: number
  retried: number
  /** Runs this worker no longer held (its lease was taken over): their results were dropped. */
  lost: number
  /** Runs aborted because the job was canceled while it ran. */
  canceled: number
  /**
   * Runs whose result could not be written before the worker stopped (the database was
   * unreachable): the jobs stay picked, and after their lease they are rerun or held.
   */
  unwritten: number
}

/** Runs claimed jobs, tracks what is running, and hands results to the buffer. */
export class JobRunner {
  readonly counts: RunCounts = { claimed: 0, succeeded: 0, failed: 0, retried: 0, lost: 0, canceled: 0, unwritten: 0 }
  readonly #running = new Map<JobId, RunningJob>()
  readonly #perEntrypoint = new Map<string, number>()
  readonly #idle: (() => void)[] = []
  /** Progress reported by running jobs, for the heartbeat to write. */
  readonly progress = new ProgressBuffer()
  readonly #contextDeps: RunContextDeps

  constructor(
    private readonly deps: {
      workerId: string
      buffer: ResultBuffer
      events: Emitter<QueueEvents>
      definitions: ReadonlyMap<string, EntrypointDefinition>
      tracing?: Tracing | undefined
      dependencyResults(id: JobId): Promise<DependencyResult[]>
      onFinished(entrypoint: string, durationMs: number): void
    },
  ) {
    this.#contextDeps = {
      workerId: deps.workerId,
      reportProgress: (id, text) => this.progress.set(id, text),
      dependencyResults: (id) => deps.dependencyResults(id),
    }
  }

  get size(): number {
    return this.#running.size
  }

  runningOf(entrypoint: string): number {
    return this.#perEntrypoint.get(entrypoint) ?? 0
  }

  ids(): JobId[] {
    return [...this.#running.keys()]
  }

  start(job: Job): void {
    // The claim never hands a worker its own running job; should it, the run under way is kept.
    if (this.#running.has(job.id)) return
    const def = this.deps.definitions.get(job.entrypoint)
    if (!def) throw new Error(`claimed a job of unknown entrypoint ${job.entrypoint}`) // the claim names only ours
    const span = this.deps.tracing?.startRun(job, this.deps.workerId)
    const entry: RunningJob = {
      job, def, controller: undefined, abortReason: undefined, startedAt: performance.now(),
      dropped: false, settled: false, span, progress: undefined, timer: undefined,
    }
    this.#running.set(job.id, entry)
    this.#perEntrypoint.set(def.name, this.runningOf(def.name) + 1)
    this.counts.claimed++
    if (this.deps.events.listens('job:started')) this.deps.events.emit('job:started', { job, workerId: this.deps.workerId })
    this.#execute(entry)
  }

  /** Aborts running jobs this worker no longer owns; their results are dropped. */
  drop(ids: Iterable<JobId>, reason: 'canceled' | 'not-held'): void {
    for (const id of ids) {
      const entry = this.#running.get(id)
      if (!entry || entry.dropped) continue
      entry.dropped = true
      if (reason === 'canceled') this.counts.canceled++
      else this.counts.lost++
      this.progress.delete(id)
      abort(entry, new Error(reason === 'canceled' ? `job ${id} was canceled` : `job ${id} is no longer held by this worker`))
      entry.span?.end(reason === 'canceled' ? 'canceled' : 'lost')
      this.deps.events.emit('job:lost', { job: entry.job, reason })
    }
  }

  /**
   * Finished runs whose result was not recorded: `lost` when the write found the job taken
   * over by another worker, `unwritten` when no write got through before the end.
   */
  recount(results: readonly BufferedResult[], as: 'lost' | 'unwritten'): void {
    for (const { job, counted } of results) {
      this.counts[counted]--
      this.counts[as]++
      if (as === 'lost') this.deps.events.emit('job:lost', { job, reason: 'not-held' })
    }
  }

  /**
   * A drain's budget ran out: each run still going is aborted and fails with `errorFor`, its
   * attempt counted by its retry policy, so its job is retried or held at once, with its run
   * time in the statistics (the next drain's estimate), rather than left for a rescue.
   */
  expireAll(errorFor: (job: Job, ranMs: number) => Error): void {
    for (const entry of [...this.#running.values()]) {
      const error = errorFor(entry.job, performance.now() - entry.startedAt)
      abort(entry, error)
      this.#settle(entry, false, error)
    }
  }

  /** Forced stop: abort everything; the jobs stay 'picked' for stale rescue. */
  abandonAll(): void {
    for (const entry of this.#running.values()) {
      entry.dropped = true
      abort(entry, new Error('the worker was forced to stop'))
      entry.span?.end('abandoned')
    }
  }

  /** Resolves when nothing runs, or after timeoutMs. */
  async idle(timeoutMs: number): Promise<boolean> {
    if (this.#running.size === 0) return true
    let timer: ReturnType<typeof setTimeout> | undefined
    const done = await Promise.race([
      new Promise<boolean>((resolve) => this.#idle.push(() => resolve(true))),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ])
    clearTimeout(timer)
    return done
  }

  /**
   * Runs the handler. One that returns at once settles at once: no promise per job for the
   * many synchronous handlers; a promise settles the job when it does.
   */
  #execute(entry: RunningJob): void {
    const { job, def } = entry
    const ctx = new RunContext(entry, this.#contextDeps)
    // Past its timeout the attempt fails and its slot is freed, whether or not the handler
    // heeds the signal; whatever it does later is ignored.
    if (def.timeoutMs > 0) {
      entry.timer = setTimeout(() => {
        const error = new JobTimeoutError(job.id, def.name, def.timeoutMs)
        abort(entry, error)
        this.#settle(entry, false, error)
      }, def.timeoutMs)
    }
    let outcome: unknown
    try {
      outcome = def.schema ? this.#runValidated(entry, ctx) : runHandler(entry, job, ctx)
    } catch (error) {
      this.#settle(entry, false, error)
      return
    }
    if (isThenable(outcome)) {
      outcome.then(
        (value) => this.#settle(entry, true, undefined, value),
        (error: unknown) => this.#settle(entry, false, error),
      )
    } else {
      this.#settle(entry, true, undefined, outcome)
    }
  }

  /** A copy of the job only when the schema may have transformed the payload. */
  async #runValidated(entry: RunningJob, ctx: JobContext): Promise<unknown> {
    const payload = await validatePayload(entry.def, entry.job.payload)
    return runHandler(entry, { ...entry.job, payload }, ctx)
  }

  /** `value`: what the handler returned, when it succeeded. */
  #settle(entry: RunningJob, ok: boolean, error: unknown, value?: unknown): void {
    if (entry.settled) return
    entry.settled = true
    clearTimeout(entry.timer)
    const { job, def } = entry
    const durationMs = performance.now() - entry.startedAt
    this.#running.delete(job.id)
    this.#perEntrypoint.set(def.name, this.runningOf(def.name) - 1)
    if (!entry.dropped) this.#record(entry, ok, error, durationMs, value)
    this.deps.onFinished(def.name, durationMs)
    if (this.#running.size === 0) for (const resolve of this.#idle.splice(0)) resolve()
  }

  #record({ job, def, span, progress }: RunningJob, ok: boolean, error: unknown, durationMs: number, value: unknown): void {
    const { buffer, events, workerId } = this.deps
    if (ok) {
      if (progress !== undefined) this.progress.delete(job.id) // the row leaves the queue: its progress would be written for nothing
      // Without a log row (logSuccess: false) there is nowhere to keep a result.
      buffer.complete(job, durationMs, value === undefined || !def.logSuccess ? undefined : this.#resultOf(job, value, def.maxResultBytes))
      this.counts.succeeded++
      span?.end('succeeded')
      if (events.listens('job:succeeded')) events.emit('job:succeeded', { job, durationMs })
      return
    }
    // A payload the schema rejects fails for good at once: retrying cannot fix it.
    const failure: Failure = failureOf(job, error, workerId, def.policy.backoff, error instanceof PayloadValidationError)
    buffer.fail(job, failure, durationMs)
    const { action, traceback } = failure
    span?.end(action.kind === 'retry' ? 'retried' : action.kind === 'hold' ? 'held' : 'failed', { error, traceback, retryDelayMs: action.kind === 'retry' ? action.delayMs : undefined })
    if (failure.action.kind === 'retry') {
      this.counts.retried++
      events.emit('job:retried', { job, error, traceback: failure.traceback, delayMs: failure.action.delayMs, durationMs })
    } else {
      this.counts.failed++
      events.emit('job:failed', { job, error, traceback: failure.traceback, action: failure.action.kind, durationMs })
    }
  }

  /** The JSON text to store, or undefined (after saying why) when the value cannot be stored. */
  #resultOf(job: Job, value: unknown, maxBytes: number): string | undefined {
    const text = resultText(value, maxBytes)
    if (typeof text === 'string') return text
    resultDropped(this.deps.events, job, text.field, text.message)
    return undefined
  }
}

/** A result is dropped, not fatal: the job did its work. The event names the job and why, never the value. */
function resultDropped(events: Emitter<QueueEvents>, job: Job, field: string, reason: string): void {
  if (events.listens('job:result-dropped')) events.emit('job:result-dropped', { job, field, reason })
  else console.warn(`pgq: job ${job.id} (${job.entrypoint}) succeeded, but its result was not stored: ${reason}`)
}

function runHandler(entry: RunningJob, input: Job, ctx: JobContext): unknown {
  return entry.span ? entry.span.within(() => entry.def.handler(input, ctx)) : entry.def.handler(input, ctx)
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function'
}

function abort(entry: RunningJob, reason: Error): void {
  entry.abortReason ??= reason
  entry.controller?.abort(entry.abortReason)
}
