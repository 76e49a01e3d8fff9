import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { PgqDriver } from '../driver/driver.js'
import { ConfigurationError } from '../errors.js'
import { eventsChannel, schemaName } from '../migrations/schema-name.js'
import { createFleet, type EntrypointPolicy, type Fleet, type PolicyConflict, register } from '../queue/fleet.js'
import { type BatchOptions, createProducer, type Producer } from '../queue/producer.js'
import type { JobId } from '../types.js'
import type { EnqueueOptions, NewJob } from '../validation/job-input.js'
import { CompletionWaiter, type FinalStatus } from './completion-waiter.js'
import { Emitter } from './emitter.js'
import { defineEntrypoint, type EntrypointDefinition, type EntrypointOptions, type Handler } from './entrypoints.js'
import type { QueueEvents } from './queue-events.js'
import { defineSchedule, type InlineHandler, type ScheduleFiring, type ScheduleOptions, Schedules } from './schedules.js'
import { type RunOptions, type RunSummary, startWorker, type WorkerHandle } from './worker.js'

/** Entrypoint name → payload type, grown by each queue.entrypoint() call. */
export type Registry = Record<string, unknown>

/** The entrypoints a queue may enqueue to: the registered ones, or any name while none is known. */
export type EntrypointName<R extends Registry> = keyof R extends never ? string : keyof R & string
/** The payload type of an entrypoint (unknown while none is registered). */
export type PayloadOf<R extends Registry, N extends string> = N extends keyof R ? R[N] : unknown

/** One job of any registered entrypoint, its payload typed by its name. */
export type TypedNewJob<R extends Registry> = keyof R extends never
  ? NewJob
  : { [N in keyof R & string]: NewJob<R[N]> & { entrypoint: N } }[keyof R & string]

export interface QueueOptions {
  driver: PgqDriver
  schema?: string
  /** Check the installed schema version before the first operation. Default true. */
  checkSchema?: boolean
  /** waitFor's poll, the fallback to notifications. Default 1000 ms. */
  waitPollIntervalMs?: number
}

/**
 * The API users write against: register entrypoints, enqueue typed jobs, run workers,
 * wait for results. It wires the producer, workers and waiter together; the work is theirs.
 */
// biome-ignore lint/complexity/noBannedTypes: {} is the empty registry that entrypoint() grows
export class Queue<R extends Registry = {}> {
  readonly schema: string
  readonly producer: Producer
  readonly #driver: PgqDriver
  readonly #checkSchema: boolean
  readonly #definitions = new Map<string, EntrypointDefinition>()
  readonly #events = new Emitter<QueueEvents>()
  readonly #waiter: CompletionWaiter
  readonly #workers = new Set<WorkerHandle>()
  readonly #schedules: Schedules
  readonly #fleet: Fleet
  /** The registration of the entrypoints known when it ran (again once more are added). */
  #registration: { count: number; policies: Promise<ReadonlyMap<string, EntrypointPolicy>> } | undefined

  constructor(options: QueueOptions) {
    this.schema = schemaName(options.schema)
    this.#driver = options.driver
    this.#checkSchema = options.checkSchema ?? true
    const connection = { db: options.driver.db, schema: this.schema, checkSchema: this.#checkSchema, ready: () => this.#ready() }
    this.producer = createProducer({ ...connection, preparedStatements: options.driver.preparedStatements })
    this.#fleet = createFleet(connection)
    this.#waiter = new CompletionWaiter({
      producer: this.producer,
      driver: options.driver,
      channel: eventsChannel(this.schema),
      pollIntervalMs: options.waitPollIntervalMs ?? 1000,
    })
    this.#schedules = new Schedules({
      db: options.driver.db,
      producer: this.producer,
      schema: this.schema,
      checkSchema: this.#checkSchema,
      onFired: (firing) => this.#events.emit('schedule:fired', firing),
    })
  }

  /** Registers a handler. The payload type comes from `options.schema` or the handler's parameter. */
  entrypoint<N extends string, P>(name: N, handler: Handler<P>): Queue<R & { [K in N]: P }>
  entrypoint<N extends string, P>(name: N, options: EntrypointOptions<P>, handler: Handler<P>): Queue<R & { [K in N]: P }>
  // biome-ignore lint/suspicious/noExplicitAny: the overloads above carry the types
  entrypoint(name: string, a: EntrypointOptions<any> | Handler<any>, b?: Handler<any>): Queue<any> {
    const [options, handler] = typeof a === 'function' ? [{}, a] : [a, b!]
    if (this.#definitions.has(name)) throw new ConfigurationError(`entrypoint ${JSON.stringify(name)} is registered twice`)
    this.#definitions.set(name, defineEntrypoint(name, options, handler))
    return this
  }

  /**
   * Runs `entrypoint` on a cron schedule: 5 fields (minute precision) or 6 (seconds first),
   * read in `options.timezone` (default UTC). Stored (upserted) on the first
   * fireDueSchedules() or worker start; `cleanOld` then deletes this entrypoint's stored
   * schedules that are no longer registered. Each tick fires once across all processes.
   *
   * mode 'enqueue' (the default) enqueues a job per tick, deduplicated per tick, in the same
   * transaction that claims the tick: retries, backoff, concurrency and rate limits apply,
   * any worker runs it, and a crashed firer loses no tick. A handler given here is registered
   * as the entrypoint (with the entrypoint options in `options`); without one, another
   * process may serve it. mode 'inline' runs the handler in the process firing the tick, at
   * most once and without retries: for cheap, idempotent housekeeping.
   *
   * Throws ConfigurationError for a bad expression or time zone, or inline without a handler.
   */
  schedule(entrypoint: string, expression: string, handler: InlineHandler, options: ScheduleOptions & { mode: 'inline' }): Queue<R>
  schedule<N extends string, P>(
    entrypoint: N,
    expression: string,
    handler: Handler<P>,
    options?: ScheduleOptions & EntrypointOptions<P> & { mode?: 'enqueue' },
  ): Queue<R & { [K in N]: P }>
  schedule(entrypoint: string, expression: string, options?: ScheduleOptions & { mode?: 'enqueue' }): Queue<R>
  schedule(entrypoint: string, expression: string, handler: undefined, options?: ScheduleOptions & { mode?: 'enqueue' }): Queue<R>
  // biome-ignore lint/suspicious/noExplicitAny: the overloads above carry the types
  schedule(entrypoint: string, expression: string, a?: any, b?: any): Queue<any> {
    const optionsFirst = typeof a === 'object' && a !== null
    const handler = optionsFirst ? undefined : a
    const options: ScheduleOptions & EntrypointOptions = (optionsFirst ? a : b) ?? {}
    const { cleanOld, timezone, mode, payload, ...entrypointOptions } = options
    const def = defineSchedule(entrypoint, expression, { cleanOld, timezone, mode, payload }, handler)
    this.#schedules.check(def)
    if (Object.keys(entrypointOptions).length > 0 && (def.mode === 'inline' || !handler)) {
      throw new ConfigurationError(
        `schedule ${JSON.stringify(entrypoint)}: entrypoint options (${Object.keys(entrypointOptions).join(', ')}) apply only with mode 'enqueue' and a handler`,
      )
    }
    if (def.mode === 'enqueue' && handler) this.entrypoint(entrypoint, entrypointOptions, handler)
    this.#schedules.add(def)
    return this
  }

  /**
   * Fires every due schedule registered here, once per tick across all processes; call it
   * from a cron trigger (a continuous worker calls it by itself). Missed ticks fire once.
   * Inline handlers are awaited; their errors are in the firings, not thrown.
   */
  fireDueSchedules(options: { now?: Date; signal?: AbortSignal } = {}): Promise<ScheduleFiring[]> {
    return this.#schedules.fireDue(options)
  }

  entrypoints(): string[] {
    return [...this.#definitions.keys()]
  }

  /**
   * The queue's gate before its first statement: registers what its entrypoints declare
   * (concurrencyLimit, requestsPerSecond, maxAttempts, onFailure) as the fleet's policy and
   * checks the schema version, in one statement. Resolves to the stored policies.
   */
  #ready(): Promise<ReadonlyMap<string, EntrypointPolicy>> {
    const defs = [...this.#definitions.values()]
    if (this.#registration?.count === defs.length) return this.#registration.policies
    if (defs.length === 0 && !this.#checkSchema) return Promise.resolve(new Map())
    const policies = register(this.#driver.db, this.schema, defs.map((d) => d.declared), this.#checkSchema).then(({ policies, conflicts }) => {
      for (const conflict of conflicts) this.#reportConflict(conflict)
      return policies
    })
    const registration = { count: defs.length, policies }
    this.#registration = registration
    // A failed registration is tried again on the next use.
    policies.catch(() => {
      if (this.#registration === registration) this.#registration = undefined
    })
    return policies
  }

  #reportConflict(conflict: PolicyConflict): void {
    if (this.#events.listens('policy:conflict')) {
      this.#events.emit('policy:conflict', conflict)
      return
    }
    console.warn(
      `pgq: entrypoint ${JSON.stringify(conflict.entrypoint)}: ${conflict.field} was ${conflict.stored} in the database ` +
        `(set by another deployment or an operator); this queue declares ${conflict.declared} and stored it (the last registration wins)`,
    )
  }

  /** No worker anywhere claims this entrypoint's jobs until resume(); running jobs finish and enqueue still works. */
  pause(entrypoint: string): Promise<EntrypointPolicy> {
    return this.#fleet.pause(entrypoint)
  }

  /** Lets every worker claim this entrypoint again, and wakes listening ones at once. */
  resume(entrypoint: string): Promise<EntrypointPolicy> {
    return this.#fleet.resume(entrypoint)
  }

  /** Sets fleet-wide policy fields of an entrypoint (until a deployment declaring otherwise registers). */
  setEntrypointPolicy(entrypoint: string, policy: Parameters<Fleet['setEntrypointPolicy']>[1]): Promise<EntrypointPolicy> {
    return this.#fleet.setEntrypointPolicy(entrypoint, policy)
  }

  /** The stored fleet policies (all, or of these entrypoints). */
  entrypointPolicies(names?: readonly string[]): Promise<EntrypointPolicy[]> {
    return this.#fleet.entrypointPolicies(names)
  }

  on<K extends keyof QueueEvents>(name: K, listener: (event: QueueEvents[K]) => void): () => void {
    return this.#events.on(name, listener)
  }

  enqueue<N extends EntrypointName<R>>(entrypoint: N, payload: PayloadOf<R, N>, options: EnqueueOptions & BatchOptions & { onConflict: 'skip' }): Promise<JobId | null>
  enqueue<N extends EntrypointName<R>>(entrypoint: N, payload: PayloadOf<R, N>, options?: EnqueueOptions & BatchOptions): Promise<JobId>
  enqueue(entrypoint: string, payload: unknown, options?: EnqueueOptions & BatchOptions): Promise<JobId | null> {
    return this.producer.enqueue(entrypoint, payload, options)
  }

  enqueueMany(jobs: readonly TypedNewJob<R>[], options: BatchOptions & { onConflict: 'skip' }): Promise<(JobId | null)[]>
  enqueueMany(jobs: readonly TypedNewJob<R>[], options?: BatchOptions): Promise<JobId[]>
  enqueueMany(jobs: readonly TypedNewJob<R>[], options?: BatchOptions): Promise<(JobId | null)[]> {
    return this.producer.enqueueMany(jobs, options)
  }

  cancel(ids: readonly JobId[]) {
    return this.producer.cancel(ids)
  }

  requeueFailed(filter?: Parameters<Producer['requeueFailed']>[0]) {
    return this.producer.requeueFailed(filter)
  }

  /** Resolves with the final status of a job (or of each job, in order). */
  waitFor(id: JobId, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<FinalStatus>
  waitFor(ids: readonly JobId[], options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<FinalStatus[]>
  async waitFor(idOrIds: JobId | readonly JobId[], options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<FinalStatus | FinalStatus[]> {
    const ids = typeof idOrIds === 'number' ? [idOrIds] : [...idOrIds]
    const results = await this.#waiter.waitFor(ids, options)
    const statuses = ids.map((id) => results.get(id)!)
    return typeof idOrIds === 'number' ? statuses[0]! : statuses
  }

  /** Starts a worker and returns at once; see run() to wait for it. */
  start(options: RunOptions = {}): WorkerHandle {
    const worker = startWorker(options, {
      driver: this.#driver,
      schema: this.schema,
      channel: eventsChannel(this.schema),
      definitions: this.#definitions,
      events: this.#events,
      schedules: this.#schedules,
      ready: () => this.#ready(),
    })
    this.#workers.add(worker)
    const forget = () => this.#workers.delete(worker)
    worker.done.then(forget, forget)
    return worker
  }

  /** Runs a worker until it drains (drain mode) or is stopped by options.signal. */
  run(options: RunOptions = {}): Promise<RunSummary> {
    return this.start(options).done
  }

  /** Stops workers gracefully and closes the waiter's listener. The driver stays open (it is yours). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#workers].map((w) => w.stop()))
    await this.#waiter.close()
  }
}

/**
 * A queue with no entrypoints yet. Pass the registry type to enqueue typed jobs from a
 * process that runs no handlers: createQueue<{ send_email: { to: string } }>({ driver }).
 */
// biome-ignore lint/complexity/noBannedTypes: no entrypoints yet
export function createQueue<R extends Registry = {}>(options: QueueOptions): Queue<R> {
  return new Queue<R>(options)
}

export type { StandardSchemaV1 }
