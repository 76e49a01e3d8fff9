import type { Consumer, DrainTail } from '../queue/consumer.js'
import { SuccessTally } from '../queue/success-tally.js'
import type { Failure, Job, JobId } from '../types.js'

/** One write's worth of results; the jobs beside their ids, in the same order. */
interface Batch {
  done: JobId[]
  doneJobs: Job[]
  failed: Failure[]
  failedJobs: Job[]
  runMs: Map<JobId, number>
  results: Map<JobId, string>
  tally: SuccessTally
}

export interface ResultBufferOptions {
  consumer: Consumer
  /** Flush once this many results wait. */
  maxBatch: number
  /** Wait this long for more results before a flush (0: the next macrotask). */
  delayMs: number
  onError(error: unknown): void
  /** After results were written: limited entrypoints may have room again. */
  onWritten?(): void
  /** Results the write found this worker no longer held (another worker took the job over): nothing was recorded. */
  onNotHeld?(results: BufferedResult[]): void
  /** Results no write can take (the statement fails for them alone, not for want of a database): dropped. */
  onUnwritable?(results: BufferedResult[]): void
}

/** A result in the buffer, as the run counted it. */
export interface BufferedResult {
  job: Job
  counted: 'succeeded' | 'retried' | 'failed'
}

/**
 * Completions and failures wait here and go to Postgres in batches: one statement per
 * flush, both kinds together. A failed flush keeps its results and is tried again; until then the
 * jobs stay 'picked' and heartbeated, so nothing is lost if the process dies.
 */
export class ResultBuffer {
  readonly #o: ResultBufferOptions
  #doneJobs: Job[] = []
  #failed: Failure[] = []
  #failedJobs: Job[] = []
  /** Why the last write failed, until one succeeds. */
  #writeError: unknown
  /** How long each buffered job ran, for the statistics. */
  #runMs = new Map<JobId, number>()
  /** The JSON text of what succeeded jobs returned, for their log rows (most return nothing). */
  #results = new Map<JobId, string>()
  /** The successes' statistics, added up as they come. */
  #tally = new SuccessTally()
  #timer: ReturnType<typeof setTimeout> | undefined
  #flushing: Promise<void> | undefined
  #retryDelayMs = 0
  #holdMs = 0
  #closed = false

  constructor(options: ResultBufferOptions) {
    this.#o = options
  }

  get size(): number {
    return this.#doneJobs.length + this.#failed.length
  }

  /** Ids whose result is not yet written (they still need heartbeats). */
  pendingIds(): JobId[] {
    return [...this.#doneJobs.map((j) => j.id), ...this.#failed.map((f) => f.id)]
  }

  /** `job` as claimed (its wait is from when it was due to its claim). */
  complete(job: Job, runMs: number, result?: string): void {
    this.#doneJobs.push(job)
    this.#runMs.set(job.id, runMs)
    this.#tally.add(job.entrypoint, job.priority, runMs, job.updated.getTime() - job.runAt.getTime())
    if (result !== undefined) this.#results.set(job.id, result)
    this.#schedule()
  }

  fail(job: Job, failure: Failure, runMs?: number): void {
    this.#failed.push(failure)
    this.#failedJobs.push(job)
    if (runMs !== undefined) this.#runMs.set(failure.id, runMs)
    this.#schedule()
  }

  /** Writes everything buffered; resolves when the buffer is empty or a write failed. */
  async flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
    while (this.#flushing) await this.#flushing
    if (this.size === 0) return
    this.#flushing = this.#write(this.#take())
    try {
      await this.#flushing
    } finally {
      this.#flushing = undefined
    }
  }

  /**
   * A drain's last write: what is buffered, and in the same statement whether jobs of these
   * entrypoints are due and whether retention is due. A failed write keeps its results
   * (retried by the drain's finish) and rejects.
   */
  async flushLast(entrypoints: readonly string[]): Promise<DrainTail> {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
    while (this.#flushing) await this.#flushing
    const batch = this.#take()
    try {
      const { finished, tail } = await this.#o.consumer.finishLast(batch.done, batch.failed, entrypoints, batch)
      this.#written(batch, finished)
      if (batch.done.length + batch.failed.length > 0) this.#o.onWritten?.()
      return tail
    } catch (error) {
      this.#putBack(batch)
      this.#writeError = error
      throw error
    }
  }

  #take(): Batch {
    const batch = {
      done: this.#doneJobs.map((j) => j.id), doneJobs: this.#doneJobs.splice(0), failed: this.#failed.splice(0), failedJobs: this.#failedJobs.splice(0),
      runMs: this.#runMs, results: this.#results, tally: this.#tally,
    }
    this.#runMs = new Map()
    this.#results = new Map()
    this.#tally = new SuccessTally()
    return batch
  }

  #putBack(batch: Batch): void {
    this.#doneJobs.unshift(...batch.doneJobs)
    this.#failed.unshift(...batch.failed)
    this.#failedJobs.unshift(...batch.failedJobs)
    for (const [id, ms] of batch.runMs) this.#runMs.set(id, ms)
    for (const [id, text] of batch.results) this.#results.set(id, text)
    this.#tally.merge(batch.tally)
  }

  /** Keeps flushing until everything is written, including a write under way (shutdown); gives up after `deadline`. */
  async drain(deadline: number): Promise<boolean> {
    while (Date.now() < deadline) {
      if (this.#flushing) {
        await this.#flushing
        continue
      }
      if (this.size === 0) return true
      await this.flush()
      if (this.size > 0) await new Promise((r) => setTimeout(r, Math.min(this.#retryDelayMs, Math.max(0, deadline - Date.now()))))
    }
    return this.size === 0 && !this.#flushing
  }

  /** What is still unwritten (after a drain that gave up), as the run counted it, and why its last write failed. */
  unwritten(): { results: BufferedResult[]; error: unknown } {
    return { results: resultsOf(this.#doneJobs, this.#failed, this.#failedJobs), error: this.#writeError }
  }

  /** A write went through: the results of jobs this worker no longer held were not recorded. */
  #written(batch: Batch, finished: readonly { id: JobId }[]): void {
    this.#retryDelayMs = 0
    this.#writeError = undefined
    if (finished.length === batch.done.length + batch.failed.length) return
    const held = new Set(finished.map((f) => f.id))
    const gone = resultsOf(batch.doneJobs, batch.failed, batch.failedJobs).filter((r) => !held.has(r.job.id))
    if (gone.length > 0) this.#o.onNotHeld?.(gone)
  }

  async #write(batch: Batch): Promise<void> {
    try {
      this.#written(batch, await this.#o.consumer.finish(batch.done, batch.failed, batch))
    } catch (error) {
      if (waitingMends(error)) this.#requeue(error, () => this.#putBack(batch))
      else await this.#isolate(batch, error)
    }
    this.#o.onWritten?.()
  }

  /**
   * A write failed for a reason retrying will not mend (a constraint, a trigger, a bug): each
   * result goes alone, so one bad result cannot hold back the others, nor every later one
   * merged into its batch. One that fails alone is dropped: its job stays picked, unbeaten, and
   * is rescued after its lease (rerun or held), never lost.
   */
  async #isolate(batch: Batch, error: unknown): Promise<void> {
    this.#o.onError(error)
    for (const single of singles(batch)) {
      try {
        this.#written(single, await this.#o.consumer.finish(single.done, single.failed, single))
      } catch (alone) {
        if (waitingMends(alone)) {
          this.#requeue(alone, () => this.#putBack(single))
          continue
        }
        this.#o.onError(alone)
        this.#o.onUnwritable?.(resultsOf(single.doneJobs, single.failed, single.failedJobs))
      }
    }
  }

  /** The worker has stopped: no more timed flushes (what is left stays picked, for stale rescue). */
  close(): void {
    this.#closed = true
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
  }

  #requeue(error: unknown, putBack: () => void): void {
    putBack()
    this.#writeError = error
    this.#o.onError(error)
    this.#retryDelayMs = Math.min(5000, Math.max(100, this.#retryDelayMs * 2))
    if (!this.#closed) this.#timer ??= setTimeout(() => void this.flush(), this.#retryDelayMs)
  }

  /**
   * Waits at least this long before a timed flush (0: back to delayMs): a drain that expects
   * nothing more lets its last results go with its last look (flushLast) instead.
   */
  hold(ms: number): void {
    this.#holdMs = ms
  }

  #schedule(): void {
    if (this.#closed) return
    if (this.size >= this.#o.maxBatch && this.#holdMs === 0) {
      void this.flush()
    } else if (this.size >= this.#o.maxBatch) {
      // Held: the next macrotask, so a look waiting on this very result goes first.
      if (this.#timer) clearTimeout(this.#timer)
      this.#timer = setTimeout(() => void this.flush(), 0)
    } else {
      this.#timer ??= setTimeout(() => void this.flush(), Math.max(this.#o.delayMs, this.#holdMs))
    }
  }
}

/** Successes, then failures (`failures` and `failedJobs` in the same order). */
function resultsOf(doneJobs: readonly Job[], failures: readonly Failure[], failedJobs: readonly Job[]): BufferedResult[] {
  const failed = failures.map((f, i): BufferedResult => ({ job: failedJobs[i]!, counted: f.action.kind === 'retry' ? 'retried' : 'failed' }))
  return [...doneJobs.map((job): BufferedResult => ({ job, counted: 'succeeded' })), ...failed]
}

/**
 * Failures that another try may get past: the database away, a conflict, the schema or login
 * being fixed; and, as PostgreSQL's SQLSTATE, resources short (53), a statement canceled or
 * the server stopping (57), a lock not available (55P03), a rollback (40).
 */
function waitingMends(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  if (code === 'PGQ_DATABASE_UNAVAILABLE' || code === 'PGQ_TRANSACTION_CONFLICT' || code === 'PGQ_DATABASE_ACCESS' || code === 'PGQ_SCHEMA_OUTDATED') return true
  return typeof code === 'string' && /^(53|57|40)[0-9A-Z]{3}$|^55P03$/.test(code)
}

/** A batch as one batch per result (its statistics counted from its row, not a tally). */
function singles(batch: Batch): Batch[] {
  const one = (id: JobId, part: Pick<Batch, 'done' | 'doneJobs' | 'failed' | 'failedJobs'>): Batch => {
    const runMs = new Map<JobId, number>()
    const results = new Map<JobId, string>()
    const ms = batch.runMs.get(id)
    if (ms !== undefined) runMs.set(id, ms)
    const result = batch.results.get(id)
    if (result !== undefined) results.set(id, result)
    return { ...part, runMs, results, tally: new SuccessTally() }
  }
  return [
    ...batch.doneJobs.map((job) => one(job.id, { done: [job.id], doneJobs: [job], failed: [], failedJobs: [] })),
    ...batch.failed.map((f, i) => one(f.id, { done: [], doneJobs: [], failed: [f], failedJobs: [batch.failedJobs[i]!] })),
  ]
}
