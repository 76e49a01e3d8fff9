import type { Executor, PgqDriver } from '../driver/driver.js'
import { ConfigurationError } from '../errors.js'
import { scheduleStore, type ScheduleStore } from '../queue/schedule-store.js'
import type { JobId, Json } from '../types.js'
import type { BatchOptions } from '../queue/jobs.js'
import type { NewJob } from '../validation/job-input.js'
import { entrypointNameProblem } from '../validation/entrypoint-names.js'
import { jsonProblem } from '../validation/json-value.js'
import { type CronExpression, parseCron } from './cron.js'
import { shown } from '../validation/shown.js'

/**
 * 'enqueue' (default): each tick enqueues a job, so retries, dedupe, concurrency and rate
 * limits apply and any worker may run it. 'inline': the handler runs in the process that
 * fires the tick, at most once per tick and without retries.
 */
export type ScheduleMode = 'enqueue' | 'inline'

export interface ScheduleOptions<P = Json> {
  /** At start, delete this entrypoint's stored schedules that this process no longer registers. */
  cleanOld?: boolean
  /** IANA time zone the expression is read in. Default 'UTC'. */
  timezone?: string
  /** Default 'enqueue'; 'inline' needs `handler`. */
  mode?: ScheduleMode
  /** Inline mode only: runs in the process that fires the tick. */
  handler?: InlineHandler
  /** The payload of each enqueued job, or `tick.payload` inline. Default null. */
  payload?: P
}

const SCHEDULE_OPTIONS = ['cleanOld', 'timezone', 'mode', 'handler', 'payload']

const TIMED_OUT = Symbol('timed out')

/** What an inline handler gets for each tick. */
export interface ScheduleTick {
  entrypoint: string
  expression: string
  /** The tick being fired: the oldest missed one when several were missed. */
  scheduledFor: Date
  payload: Json
}

export type InlineHandler = (tick: ScheduleTick, ctx: { signal: AbortSignal }) => unknown

export interface ScheduleFiring {
  entrypoint: string
  expression: string
  scheduledFor: Date
  mode: ScheduleMode
  /** Enqueue mode: the job's id, or null when this tick's job already existed (dedupe). */
  jobId?: JobId | null
  /** Inline mode: what the handler threw. */
  error?: unknown
}

export interface ScheduleDefinition extends CronExpression {
  entrypoint: string
  mode: ScheduleMode
  payload: Json
  cleanOld: boolean
  inline: InlineHandler | undefined
}

const keyOf = (entrypoint: string, expression: string) => JSON.stringify([entrypoint, expression])

/** Validates one registration; throws ConfigurationError before anything is stored. */
export function defineSchedule(entrypoint: string, expression: string, options: ScheduleOptions<unknown> = {}): ScheduleDefinition {
  // Checked here: a name Postgres cannot store would fail every fire, of every schedule.
  const nameProblem = entrypointNameProblem(entrypoint, 'schedule entrypoint')
  if (nameProblem) throw new ConfigurationError(nameProblem)
  if (typeof options !== 'object' || options === null) throw new ConfigurationError(`the options of schedule ${JSON.stringify(entrypoint)} must be an object`)
  for (const key of Object.keys(options)) {
    if (!SCHEDULE_OPTIONS.includes(key)) throw new ConfigurationError(`unknown schedule option ${JSON.stringify(key.slice(0, 64))}; known: ${SCHEDULE_OPTIONS.join(', ')}`)
  }
  const { handler } = options
  const mode = options.mode ?? 'enqueue'
  if (mode !== 'enqueue' && mode !== 'inline') throw new ConfigurationError(`schedule mode must be 'enqueue' or 'inline', got ${shown(mode)}`)
  if (handler !== undefined && typeof handler !== 'function') throw new ConfigurationError(`the handler of schedule ${JSON.stringify(entrypoint)} must be a function`)
  if (mode === 'inline' && !handler) {
    throw new ConfigurationError(`schedule ${JSON.stringify(entrypoint)} is inline but has no handler: pass { mode: 'inline', handler }`)
  }
  if (mode === 'enqueue' && handler) {
    throw new ConfigurationError(
      `schedule ${JSON.stringify(entrypoint)}: a handler is for mode 'inline'; an enqueued tick runs the entrypoint's handler (queue.entrypoint(${JSON.stringify(entrypoint)}, handler))`,
    )
  }
  if (options.cleanOld !== undefined && typeof options.cleanOld !== 'boolean') {
    throw new ConfigurationError(`cleanOld of schedule ${JSON.stringify(entrypoint)} must be true or false, got ${shown(options.cleanOld)}`)
  }
  const payload = (options.payload ?? null) as Json
  const problem = jsonProblem(payload, 'schedule payload')
  if (problem) throw new ConfigurationError(problem)
  return {
    ...parseCron(expression, options.timezone ?? 'UTC'),
    entrypoint,
    mode,
    payload,
    cleanOld: options.cleanOld ?? false,
    inline: mode === 'inline' ? (handler as InlineHandler) : undefined,
  }
}

export interface SchedulesDeps {
  driver: PgqDriver
  schema: string
  /** The owner's gate before the first statement (schema check, registration). */
  ready(): Promise<unknown>
  enqueueMany(jobs: NewJob[], options: BatchOptions & { onConflict: 'skip' }): Promise<(JobId | null)[]>
  onFired(firing: ScheduleFiring): void
  /** What time it is for the schedules (tests move it on instead of waiting). */
  clock(): Date
}

/** A queue's registered schedules: stores them on first use and fires the due ones. */
export class Schedules {
  readonly #defs = new Map<string, ScheduleDefinition>()
  readonly #stored = new Set<ScheduleDefinition>()
  readonly #deps: SchedulesDeps
  readonly #store: ScheduleStore

  constructor(deps: SchedulesDeps) {
    this.#deps = deps
    this.#store = scheduleStore(deps.driver, deps.schema)
  }

  get size(): number {
    return this.#defs.size
  }

  now(): Date {
    return this.#deps.clock()
  }

  /** Throws if this (entrypoint, expression) is registered already. */
  check(def: ScheduleDefinition): void {
    if (this.#defs.has(keyOf(def.entrypoint, def.expression))) {
      throw new ConfigurationError(`schedule ${JSON.stringify(def.expression)} of ${JSON.stringify(def.entrypoint)} is registered twice`)
    }
  }

  add(def: ScheduleDefinition): void {
    this.check(def)
    this.#defs.set(keyOf(def.entrypoint, def.expression), def)
  }

  /** The earliest tick after `now` of any registered schedule, or null if there are none. */
  nextWake(now: Date): Date | null {
    let earliest: Date | null = null
    for (const def of this.#defs.values()) {
      const next = def.nextAfter(now)
      if (!earliest || next < earliest) earliest = next
    }
    return earliest
  }

  /**
   * Fires what is due. `timeoutMs` bounds the wait for inline handlers: past it their signal
   * aborts and the fire returns (a handler that ignores its signal goes on in the background).
   */
  async fireDue(options: { now?: Date; signal?: AbortSignal; timeoutMs?: number } = {}): Promise<ScheduleFiring[]> {
    const defs = [...this.#defs.values()]
    if (defs.length === 0) return []
    const now = options.now ?? this.#deps.clock()
    await this.#deps.ready()
    await this.#register(defs, now)
    const claims = defs.map((d) => ({ entrypoint: d.entrypoint, expression: d.expression, following: d.nextAfter(now), inline: d.mode === 'inline' }))
    // Enqueue-mode ticks commit with their jobs or not at all: a crash loses no tick.
    const firings = defs.some((d) => d.mode === 'enqueue')
      ? await this.#deps.driver.transaction((tx) => this.#claimAndEnqueue(now, claims, tx))
      : await this.#claimAndEnqueue(now, claims)
    await this.#runInline(firings, options.signal, options.timeoutMs)
    for (const firing of firings) this.#deps.onFired(firing)
    return firings
  }

  /** Upserts schedules not stored yet by this instance; cleanOld applies then, once. */
  async #register(defs: ScheduleDefinition[], now: Date): Promise<void> {
    const fresh = defs.filter((d) => !this.#stored.has(d))
    if (fresh.length === 0) return
    const cleaned = [...new Set(fresh.filter((d) => d.cleanOld).map((d) => d.entrypoint))]
    const kept = defs.filter((d) => cleaned.includes(d.entrypoint))
    await this.#store.register(fresh.map((d) => ({ ...d, nextRun: d.nextAfter(now) })), cleaned, kept)
    for (const d of fresh) this.#stored.add(d)
  }

  async #claimAndEnqueue(now: Date, claims: Parameters<ScheduleStore['claimDue']>[1], tx?: Executor): Promise<ScheduleFiring[]> {
    const firings: (ScheduleFiring & { def: ScheduleDefinition })[] = (await this.#store.claimDue(now, claims, tx)).map((row) => {
      const def = this.#defs.get(keyOf(row.entrypoint as string, row.expression as string))!
      const scheduledFor = row.scheduled_for instanceof Date ? row.scheduled_for : new Date(String(row.scheduled_for))
      return { entrypoint: def.entrypoint, expression: def.expression, scheduledFor, mode: def.mode, def }
    })
    const enqueued = firings.filter((f) => f.mode === 'enqueue')
    if (enqueued.length > 0) {
      const jobs = enqueued.map(({ def, scheduledFor }) => {
        const tick = scheduledFor.toISOString()
        return {
          entrypoint: def.entrypoint,
          payload: def.payload,
          // Holds while the job is queued or running: firing the same tick again adds nothing.
          dedupeKey: `schedule:${def.entrypoint}:${def.expression}:${tick}`,
          headers: { schedule: { expression: def.expression, timezone: def.timezone, scheduledFor: tick } },
        }
      })
      const ids = await this.#deps.enqueueMany(jobs, { tx, onConflict: 'skip' })
      for (const [i, f] of enqueued.entries()) f.jobId = ids[i] ?? null
    }
    return firings.map(({ def, ...firing }) => firing)
  }

  async #runInline(firings: ScheduleFiring[], outer: AbortSignal | undefined, timeoutMs: number | undefined): Promise<void> {
    const inline = firings.filter((f) => f.mode === 'inline')
    if (inline.length === 0) return
    const abort = new AbortController()
    const onOuterAbort = () => abort.abort(outer?.reason)
    if (outer?.aborted) onOuterAbort()
    else outer?.addEventListener('abort', onOuterAbort, { once: true })
    let timer: ReturnType<typeof setTimeout> | undefined
    const timedOut =
      timeoutMs === undefined
        ? undefined
        : new Promise<typeof TIMED_OUT>((resolve) => {
            timer = setTimeout(() => {
              abort.abort(new Error(`the time budget ended (${timeoutMs} ms)`))
              resolve(TIMED_OUT)
            }, Math.max(0, timeoutMs))
          })
    try {
      await Promise.all(
        inline.map(async (f) => {
          const def = this.#defs.get(keyOf(f.entrypoint, f.expression))!
          const run = Promise.resolve().then(() =>
            def.inline!({ entrypoint: f.entrypoint, expression: f.expression, scheduledFor: f.scheduledFor, payload: def.payload }, { signal: abort.signal }),
          )
          try {
            if ((await (timedOut ? Promise.race([run, timedOut]) : run)) === TIMED_OUT) {
              run.catch(() => undefined) // it may still fail, after the fire gave up on it
              f.error = new Error(`the inline schedule handler was still running when the time budget (${timeoutMs} ms) ended: its signal was aborted`)
            }
          } catch (error) {
            f.error = error
          }
        }),
      )
    } finally {
      clearTimeout(timer)
      outer?.removeEventListener('abort', onOuterAbort)
    }
    await this.#store.finishInline(inline)
  }
}
