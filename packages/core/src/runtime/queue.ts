import type { StandardSchemaV1 } from '@standard-schema/spec'
import { ConfigurationError } from '../errors.js'
import { type EntrypointPolicy, type PolicyConflict, register } from '../queue/fleet.js'
import { lease } from '../queue/leases.js'
import { checkRetention, type PruneResult, type QueueRetentionPolicy } from '../queue/retention.js'
import { PrunerService } from '../services/pruner.js'
import { type Duration, timerMs } from '../validation/duration.js'
import { checkOptionNames } from '../validation/option-names.js'
import { eventsChannel } from '../schema/schema-name.js'
import { drain } from './drain-loop.js'
import { startContinuous } from './continuous-loop.js'
import { Emitter } from './emitter.js'
import { checkPayloadAtEnqueue, defineEntrypoint, type EntrypointDefinition, type EntrypointOptions, type Handler } from './entrypoints.js'
import { type EntrypointName, type PayloadOf, Producer, type ProducerOptions, type Registry } from './producer.js'
import type { QueueEvents } from './queue-events.js'
import { defineSchedule, type InlineHandler, type ScheduleFiring, type ScheduleOptions, Schedules } from './schedules.js'
import type { DrainOptions, DrainSummary, StartOptions, WorkerHandle } from './worker.js'
import type { WorkerDeps } from './worker-settings.js'

export type { EntrypointName, PayloadOf, Registry, TypedFlowStep, TypedNewJob } from './producer.js'

export interface QueueOptions extends ProducerOptions {
  /**
   * How long finished work is kept (defaults: successful 7 days; exception, canceled and
   * failed attempts 30 days; statistics 30 days; held jobs until requeued). Applied by the
   * pruner on one worker of the fleet at a time: give every deployment the same policy.
   */
  retention?: QueueRetentionPolicy
}

export interface MaintenanceSummary {
  schedules: ScheduleFiring[]
  /** null: another worker holds the pruner's lease and prunes. */
  pruned: PruneResult | null
}

/**
 * The API users write against: register entrypoints and schedules, enqueue typed jobs,
 * inspect and control them (all a Producer does), and run workers: drain() for one
 * invocation, start() for a long-lived host.
 */
// biome-ignore lint/complexity/noBannedTypes: {} is the empty registry that entrypoint() grows
export class Queue<R extends Registry = {}> extends Producer<R> {
  readonly #definitions = new Map<string, EntrypointDefinition>()
  readonly #events = new Emitter<QueueEvents>()
  readonly #workers = new Set<WorkerHandle>()
  readonly #schedules: Schedules
  readonly #retention: ReturnType<typeof checkRetention>
  /** The registration of the entrypoints known when it ran (again once more are added). */
  #registration: { count: number; policies: Promise<ReadonlyMap<string, EntrypointPolicy>> } | undefined
  protected static override readonly options = { names: [...Producer.options.names, 'retention'], of: 'createQueue' }

  constructor(options: QueueOptions) {
    super(options)
    this.#retention = checkRetention(options.retention, 'retention')
    this.#schedules = new Schedules({
      driver: this.driver,
      schema: this.schema,
      ready: () => this.ready(),
      // A tick's job whose payload the schema refuses fails when it runs, as a producer's would.
      enqueueMany: (jobs, o) => this.enqueueUnchecked(jobs, o),
      onFired: (firing) => this.#reportFiring(firing),
      clock: options.clock ?? (() => new Date()),
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

  /** Payloads of entrypoints with a schema are checked at enqueue: a payload it refuses is never written. */
  protected override checkPayloads(jobs: readonly unknown[], batch: boolean): Promise<void> | undefined {
    const checks: Promise<void>[] = []
    for (let i = 0; i < jobs.length; i++) {
      const job = jobs[i] as { entrypoint?: unknown; payload?: unknown } | null | undefined
      const definition = typeof job?.entrypoint === 'string' ? this.#definitions.get(job.entrypoint) : undefined
      if (definition?.schema) checks.push(checkPayloadAtEnqueue(definition, job!.payload, batch ? i : undefined))
    }
    return checks.length > 0 ? Promise.all(checks).then(() => undefined) : undefined
  }

  /**
   * Runs `entrypoint` on a cron schedule: 5 fields (minute precision) or 6 (seconds first),
   * read in `options.timezone` (default UTC). Stored (upserted) on the first
   * fireDueSchedules(), drain() or start(); `cleanOld` then deletes this entrypoint's stored
   * schedules that are no longer registered. Each tick fires once across all processes.
   *
   * mode 'enqueue' (the default) enqueues a job per tick, deduplicated per tick, in the same
   * transaction that claims the tick: retries, backoff, concurrency and rate limits apply,
   * and any worker serving the entrypoint runs it (register its handler with entrypoint()).
   * mode 'inline' runs `options.handler` in the process firing the tick, at most once and
   * without retries: for cheap, idempotent housekeeping. Its name needs no entrypoint.
   *
   * Throws ConfigurationError for a bad expression or time zone, inline without a handler,
   * or a handler in enqueue mode.
   */
  schedule(name: string, expression: string, options: ScheduleOptions & { mode: 'inline'; handler: InlineHandler }): this
  schedule<N extends EntrypointName<R>>(entrypoint: N, expression: string, options?: ScheduleOptions<PayloadOf<R, N>>): this
  schedule(entrypoint: string, expression: string, options: ScheduleOptions<unknown> = {}): this {
    const def = defineSchedule(entrypoint, expression, options)
    this.#schedules.add(def)
    return this
  }

  /**
   * Fires every due schedule registered here, once per tick across all processes. drain()
   * and start() call it themselves; call it from a cron trigger that does not drain.
   * Missed ticks fire once. Inline handlers are awaited; their errors are in the firings, not thrown.
   */
  fireDueSchedules(options: { now?: Date; signal?: AbortSignal; timeoutMs?: number } = {}): Promise<ScheduleFiring[]> {
    return this.#schedules.fireDue(options)
  }

  entrypoints(): string[] {
    return [...this.#definitions.keys()]
  }

  /** health() judges each registered entrypoint's running jobs by its own leaseTimeout. */
  protected override leaseTimeouts(): Record<string, number> {
    return Object.fromEntries([...this.#definitions.values()].map((d) => [d.name, d.retryAfterMs]))
  }

  /**
   * The queue's gate before its first statement: registers what its entrypoints declare
   * (concurrencyLimit, requestsPerSecond, maxAttempts, onFailure) as the fleet's policy and
   * checks the schema version, in one statement. Resolves to the stored policies.
   */
  protected override ready(): Promise<ReadonlyMap<string, EntrypointPolicy>> {
    const defs = [...this.#definitions.values()]
    if (this.#registration?.count === defs.length) return this.#registration.policies
    if (defs.length === 0 && !this.checkSchema) return Promise.resolve(new Map())
    const policies = register(this.driver, this.schema, defs.map((d) => d.declared), this.checkSchema).then(({ policies, conflicts }) => {
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

  /** A failed inline handler is not silent: with nobody listening to schedule:fired, a warning names it (not its message, which may carry data). */
  #reportFiring(firing: ScheduleFiring): void {
    if (this.#events.listens('schedule:fired')) return void this.#events.emit('schedule:fired', firing)
    if (firing.error === undefined) return
    const kind = firing.error instanceof Error ? firing.error.name : typeof firing.error
    console.warn(`pgq: inline schedule ${JSON.stringify(firing.entrypoint)} (${firing.expression}) failed for ${firing.scheduledFor.toISOString()}: ${kind} (listen to 'schedule:fired' for the error)`)
  }

  #reportConflict(conflict: PolicyConflict): void {
    if (this.#events.listens('policy:conflict')) {
      this.#events.emit('policy:conflict', conflict)
      return
    }
    console.warn(
      `pgq: entrypoint ${JSON.stringify(conflict.entrypoint)}: ${conflict.field} was ${text(conflict.stored)} in the database ` +
        `(set by another deployment or an operator); this queue declares ${text(conflict.declared)} and stored it (the last registration wins)`,
    )
  }

  on<K extends keyof QueueEvents>(name: K, listener: (event: QueueEvents[K]) => void): () => void {
    return this.#events.on(name, listener)
  }

  #workerDeps(): WorkerDeps {
    return {
      driver: this.driver,
      schema: this.schema,
      channel: eventsChannel(this.schema),
      definitions: this.#definitions,
      events: this.#events,
      schedules: this.#schedules,
      ready: () => this.ready(),
      policies: (names) => this.entrypointPolicies(names),
      pruner: (workerId) => this.#pruner(workerId),
      tracing: this.tracing,
    }
  }

  #pruner(workerId: string): PrunerService {
    const entrypoints = new Map([...this.#definitions.values()].filter((d) => Object.keys(d.retention).length > 0).map((d) => [d.name, d.retention]))
    return new PrunerService({
      db: this.driver,
      schema: this.schema,
      lease: lease(this.driver, this.schema, 'pruner', workerId),
      retention: { queue: this.#retention, entrypoints },
      onPruned: (result) => {
        if (result.log + result.heldJobs + result.statistics > 0) this.#events.emit('retention:pruned', result)
      },
      onError: (error) => this.#events.emit('worker:error', { error, during: 'prune' }),
    })
  }

  /**
   * The maintenance services once, without running jobs: fires due schedules and applies
   * retention (if no other worker holds the pruner's lease), within `timeBudget` (default
   * 25 s). For a cron trigger that does not drain, or `pgq maintain`.
   */
  async maintain(options: { timeBudget?: Duration } = {}): Promise<MaintenanceSummary> {
    checkOptionNames(options, ['timeBudget'], 'maintain')
    const deadline = Date.now() + timerMs(options.timeBudget ?? 25_000, 'timeBudget')
    await this.ready()
    const schedules = await this.fireDueSchedules({ timeoutMs: Math.max(0, deadline - Date.now()) })
    const pruned = await this.#pruner(crypto.randomUUID()).runOnce(Math.max(0, deadline - Date.now()))
    return { schedules, pruned }
  }

  /**
   * One serverless invocation (a cron trigger, an HTTP request): fires due schedules, then
   * claims and runs jobs until none is left that can finish within `timeBudget`, and
   * resolves once every result is written.
   */
  drain(options: DrainOptions = {}): Promise<DrainSummary> {
    return drain(options, this.#workerDeps())
  }

  /**
   * Starts a long-lived worker, woken by LISTEN/NOTIFY, with the maintenance services
   * (schedules) beside it; returns at once. `handle.done` resolves when it has stopped
   * (stop(), or options.signal), and rejects if it could not start.
   */
  start(options: StartOptions = {}): WorkerHandle {
    const worker = startContinuous(options, this.#workerDeps())
    this.#workers.add(worker)
    const forget = () => this.#workers.delete(worker)
    worker.done.then(forget, forget)
    return worker
  }

  /** Stops workers gracefully and closes the waiter's listener. The driver stays open (it is yours). */
  override async close(): Promise<void> {
    await Promise.allSettled([...this.#workers].map((w) => w.stop()))
    await super.close()
  }
}

const text = (value: unknown) => (typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value))

/**
 * A queue with no entrypoints yet. Pass the registry type to enqueue typed jobs from a
 * process that runs no handlers: createQueue<{ send_email: { to: string } }>({ driver }).
 */
// biome-ignore lint/complexity/noBannedTypes: no entrypoints yet
export function createQueue<R extends Registry = {}>(options: QueueOptions): Queue<R> {
  return new Queue<R>(options)
}

export type { StandardSchemaV1 }
