import { failureOf } from '../queue/retry-policy.js'
import type { Failure, Job, JobId } from '../types.js'
import type { Emitter } from './emitter.js'
import { type EntrypointDefinition, type JobContext, JobTimeoutError, PayloadValidationError, validatePayload } from './entrypoints.js'
import type { QueueEvents } from './queue-events.js'
import type { ResultBuffer } from './result-buffer.js'

interface RunningJob {
  job: Job
  def: EntrypointDefinition
  /** Made when the handler first reads ctx.signal: an AbortController costs ~2 µs, most jobs never look. */
  controller: AbortController | undefined
  /** Why the job was aborted, kept for a signal read after the abort. */
  abortReason: Error | undefined
  startedAt: number
  /** Its result must not be written: canceled, held by another worker now, or abandoned at a forced stop. */
  dropped: boolean
  /** Its outcome is known (the handler settled, or its timeout passed): a later one is ignored. */
  settled: boolean
}

export interface RunCounts {
  claimed: number
  succeeded: number
  failed: number
  retried: number
  lost: number
}

/** Runs claimed jobs, tracks what is running, and hands results to the buffer. */
export class JobRunner {
  readonly counts: RunCounts = { claimed: 0, succeeded: 0, failed: 0, retried: 0, lost: 0 }
  readonly #running = new Map<JobId, RunningJob>()
  readonly #perEntrypoint = new Map<string, number>()
  readonly #idle: (() => void)[] = []

  constructor(
    private readonly deps: {
      workerId: string
      buffer: ResultBuffer
      events: Emitter<QueueEvents>
      definitions: ReadonlyMap<string, EntrypointDefinition>
      onFinished(entrypoint: string, durationMs: number): void
    },
  ) {}

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
    const entry: RunningJob = { job, def, controller: undefined, abortReason: undefined, startedAt: performance.now(), dropped: false, settled: false }
    this.#running.set(job.id, entry)
    this.#perEntrypoint.set(def.name, this.runningOf(def.name) + 1)
    this.counts.claimed++
    if (this.deps.events.listens('job:started')) this.deps.events.emit('job:started', { job, workerId: this.deps.workerId })
    void this.#execute(entry)
  }

  /** Aborts running jobs this worker no longer owns; their results are dropped. */
  drop(ids: Iterable<JobId>, reason: 'canceled' | 'not-held'): void {
    for (const id of ids) {
      const entry = this.#running.get(id)
      if (!entry || entry.dropped) continue
      entry.dropped = true
      this.counts.lost++
      abort(entry, new Error(reason === 'canceled' ? `job ${id} was canceled` : `job ${id} is no longer held by this worker`))
      this.deps.events.emit('job:lost', { job: entry.job, reason })
    }
  }

  /** Forced stop: abort everything; the jobs stay 'picked' for stale rescue. */
  abandonAll(): void {
    for (const entry of this.#running.values()) {
      entry.dropped = true
      abort(entry, new Error('the worker was forced to stop'))
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

  async #execute(entry: RunningJob): Promise<void> {
    const { job, def } = entry
    const ctx: JobContext = {
      get signal() {
        entry.controller ??= new AbortController()
        if (entry.abortReason && !entry.controller.signal.aborted) entry.controller.abort(entry.abortReason)
        return entry.controller.signal
      },
      workerId: this.deps.workerId,
    }
    // Past its timeout the attempt fails and its slot is freed, whether or not the handler
    // heeds the signal; whatever it does later is ignored.
    const timer =
      def.timeoutMs > 0
        ? setTimeout(() => {
            const error = new JobTimeoutError(job.id, def.name, def.timeoutMs)
            abort(entry, error)
            this.#settle(entry, false, error)
          }, def.timeoutMs)
        : undefined
    try {
      // A copy only when the schema may have transformed the payload.
      await def.handler(def.schema ? { ...job, payload: await validatePayload(def, job.payload) } : job, ctx)
      this.#settle(entry, true, undefined)
    } catch (error) {
      this.#settle(entry, false, error)
    } finally {
      clearTimeout(timer)
    }
  }

  #settle(entry: RunningJob, ok: boolean, error: unknown): void {
    if (entry.settled) return
    entry.settled = true
    const { job, def } = entry
    const durationMs = performance.now() - entry.startedAt
    this.#running.delete(job.id)
    this.#perEntrypoint.set(def.name, this.runningOf(def.name) - 1)
    if (!entry.dropped) this.#record(entry, ok, error, durationMs)
    this.deps.onFinished(def.name, durationMs)
    if (this.#running.size === 0) for (const resolve of this.#idle.splice(0)) resolve()
  }

  #record({ job, def }: RunningJob, ok: boolean, error: unknown, durationMs: number): void {
    const { buffer, events, workerId } = this.deps
    if (ok) {
      buffer.complete(job.id, durationMs)
      this.counts.succeeded++
      if (events.listens('job:succeeded')) events.emit('job:succeeded', { job, durationMs })
      return
    }
    // A payload the schema rejects fails for good at once: retrying cannot fix it.
    const failure: Failure = failureOf(job, error, workerId, def.policy.backoff, error instanceof PayloadValidationError)
    buffer.fail(failure, durationMs)
    if (failure.action.kind === 'retry') {
      this.counts.retried++
      events.emit('job:retried', { job, error, traceback: failure.traceback, delayMs: failure.action.delayMs, durationMs })
    } else {
      this.counts.failed++
      events.emit('job:failed', { job, error, traceback: failure.traceback, action: failure.action.kind, durationMs })
    }
  }
}

function abort(entry: RunningJob, reason: Error): void {
  entry.abortReason ??= reason
  entry.controller?.abort(entry.abortReason)
}
