import type { PgqDriver } from '../driver/driver.js'
import { InvalidJobError, PgqError } from '../errors.js'
import type { JobState } from '../queue/jobs.js'
import type { JobId, JobStatus, Json } from '../types.js'
import { type Listener, startListener } from '../queue/listener.js'

/** A status a job does not leave on its own. 'failed' is final only while held. */
export type FinalStatus = Extract<JobStatus, 'successful' | 'exception' | 'canceled' | 'deleted' | 'failed'>
const ENDED = new Set<JobStatus>(['successful', 'exception', 'canceled', 'deleted'])

export class WaitTimeoutError extends PgqError {
  constructor(ids: JobId[], timeoutMs: number) {
    super('PGQ_WAIT_TIMEOUT', `job(s) ${ids.join(', ')} did not finish within ${timeoutMs} ms`)
  }
}

/** Ids status() does not know: waiting on them would never end. */
function unknownJobs(ids: JobId[], field: string): InvalidJobError {
  const named = ids.length > 10 ? `${ids.slice(0, 10).join(', ')} and ${ids.length - 10} more` : ids.join(', ')
  const why = ids.length > 1 ? 'never enqueued, or their logs were pruned' : 'never enqueued, or its log was pruned'
  return new InvalidJobError(`no job ${named}: ${why} (a success with logSuccess: false leaves no log either)`, undefined, field, { jobIds: ids })
}

/** Called with a running job's progress, each time it is seen to change. */
export type ProgressCallback = (progress: Json, id: JobId) => void

interface Waiter {
  ids: Set<JobId>
  results: Map<JobId, FinalStatus>
  resolve(results: Map<JobId, FinalStatus>): void
  onProgress: ProgressCallback | undefined
  /** The JSON text of the progress last delivered, per job. */
  seen: Map<JobId, string>
}

/**
 * waitFor: woken by 'done'/'cancel' notifications on a listener it opens while anyone
 * waits, with a poll as fallback (and as the only way behind a transaction pooler).
 * Progress comes the same ways: a 'progress' event names the jobs, status() reads the values.
 */
export class CompletionWaiter {
  readonly #waiters = new Set<Waiter>()
  #listener: Promise<Listener | undefined> | undefined
  /** After a failed LISTEN (e.g. a transaction pooler), poll only until this time. */
  #listenAgainAt = 0
  #poll: ReturnType<typeof setInterval> | undefined
  #closing: Promise<void> = Promise.resolve()

  constructor(private readonly deps: { status(ids: JobId[]): Promise<JobState[]>; driver: PgqDriver; channel: string; pollIntervalMs: number }) {}

  /** `field` names the ids in an error: 'id' or 'ids'. */
  async waitFor(
    ids: JobId[],
    options: { timeoutMs?: number | undefined; signal?: AbortSignal | undefined; onProgress?: ProgressCallback | undefined; field?: string } = {},
  ): Promise<Map<JobId, FinalStatus>> {
    if (ids.length === 0) return new Map() // nothing to wait for: no listener, no poll
    const waiter = { ids: new Set(ids), results: new Map(), onProgress: options.onProgress, seen: new Map() } as Waiter
    const finished = new Promise<Map<JobId, FinalStatus>>((resolve) => (waiter.resolve = resolve))
    this.#waiters.add(waiter)
    this.#listen()
    this.#poll ??= setInterval(() => void this.#check(this.#pendingIds()), this.deps.pollIntervalMs)
    let timer: ReturnType<typeof setTimeout> | undefined
    let onAbort: (() => void) | undefined
    try {
      // The first read resolves a job that finished already, and rejects for an unknown id
      // or a failed read (a missing schema): later reads only retry.
      const started = this.#check([...waiter.ids], options.field ?? 'ids')
      return await Promise.race([
        finished,
        new Promise<never>((_, reject) => {
          started.catch(reject)
          if (options.timeoutMs !== undefined) timer = setTimeout(() => reject(new WaitTimeoutError([...waiter.ids], options.timeoutMs!)), options.timeoutMs)
          onAbort = () => reject(options.signal!.reason)
          if (options.signal?.aborted) onAbort()
          options.signal?.addEventListener('abort', onAbort, { once: true })
        }),
      ])
    } finally {
      clearTimeout(timer)
      if (onAbort) options.signal?.removeEventListener('abort', onAbort)
      this.#waiters.delete(waiter)
      // Not awaited: a LISTEN still being set up must not delay the answer.
      if (this.#waiters.size === 0) void this.close().catch(() => undefined)
    }
  }

  /** Stops polling and closes the listener; resolves once every earlier close has finished too. */
  async close(): Promise<void> {
    clearInterval(this.#poll)
    this.#poll = undefined
    const listener = this.#listener
    this.#listener = undefined
    this.#closing = this.#closing.then(async () => (await listener)?.close())
    await this.#closing
  }

  #pendingIds(): JobId[] {
    return [...new Set([...this.#waiters].flatMap((w) => [...w.ids]))]
  }

  /** Starts the shared listener unless it runs or failed lately; once it listens, looks again. */
  #listen(): void {
    if (this.#listener || Date.now() < this.#listenAgainAt) return
    const listening = startListener({
      driver: this.deps.driver,
      channel: this.deps.channel,
      onNotification: (n) => {
        if (n.type === 'progress') {
          const watched = new Set([...this.#waiters].flatMap((w) => (w.onProgress ? [...w.ids] : [])))
          const ids = n.ids.filter((id) => watched.has(id))
          if (ids.length) void this.#check(ids)
          return
        }
        if (n.type !== 'done' && n.type !== 'cancel') return
        const pending = new Set(this.#pendingIds())
        const ids = n.ids.filter((id) => pending.has(id))
        // A success is final and may have left no log row to look up (logSuccess: false).
        if (n.type === 'done' && n.status === 'successful') for (const id of ids) this.#settle(id, 'successful')
        else if (ids.length) void this.#check(ids)
      },
      onRestored: () => void this.#check(this.#pendingIds()), // events may have been missed
    }).then(
      (listener) => {
        void this.#check(this.#pendingIds()) // whatever finished before LISTEN took effect
        return listener
      },
      () => {
        // No LISTEN here (e.g. a transaction pooler): the poll does the work; retry later.
        this.#listenAgainAt = Date.now() + 60_000
        if (this.#listener === listening) this.#listener = undefined
        return undefined
      },
    )
    this.#listener = listening
  }

  /** Reads the jobs' states; with `field` (the wait's first read) its errors are thrown and unknown ids refused. */
  async #check(ids: JobId[], field?: string): Promise<void> {
    if (ids.length === 0) return
    let states: JobState[]
    try {
      states = await this.deps.status(ids)
    } catch (error) {
      if (field) throw error
      return // the next poll tries again
    }
    for (const { id, status, inQueue, progress } of states) {
      if (status && (inQueue ? status === 'failed' : ENDED.has(status))) this.#settle(id, status as FinalStatus)
      else if (inQueue && progress !== null) this.#progress(id, progress)
    }
    const unknown = field ? states.filter((s) => s.status === null).map((s) => s.id) : []
    if (unknown.length > 0) throw unknownJobs(unknown, field!)
  }

  /** Hands new progress to the waiters that asked for it; a callback's throw is its own business. */
  #progress(id: JobId, progress: Json): void {
    let text: string | undefined
    for (const w of this.#waiters) {
      if (!w.onProgress || !w.ids.has(id)) continue
      text ??= JSON.stringify(progress)
      if (w.seen.get(id) === text) continue
      w.seen.set(id, text)
      try {
        w.onProgress(progress, id)
      } catch {
        // ignored: the wait goes on
      }
    }
  }

  #settle(id: JobId, status: FinalStatus): void {
    for (const w of this.#waiters) {
      if (!w.ids.delete(id)) continue
      w.results.set(id, status)
      if (w.ids.size === 0) w.resolve(w.results)
    }
  }
}
