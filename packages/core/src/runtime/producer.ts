import { ConfigurationError } from '../errors.js'
import { enqueueFlow, type FlowOptions, type FlowStep } from '../queue/flows.js'
import { createFleet, type EntrypointPolicy, type Fleet } from '../queue/fleet.js'
import { checkHealth, type HealthOptions, type HealthReport, healthSettings } from '../queue/health.js'
import { type BatchOptions, type EnqueuedId, type JobOperations, type NullingDedupe, type JobState, jobOperations, type QueueSizeRow, type RequeueTarget } from '../queue/jobs.js'
import { type EntrypointOverview, type FailureQuery, type FailureRecord, type OperationsView, operationsView, type ScheduleInfo } from '../queue/operations.js'
import type { InTransaction, QueueConnectionOptions } from '../queue/options.js'
import { schemaGate } from '../queue/schema-check.js'
import { readStatisticsBuckets, type StatisticsBucket, type StatisticsQuery } from '../queue/statistics.js'
import { eventsChannel, schemaName } from '../schema/schema-name.js'
import type { Job, JobId, JobStatus, Json, LogEntry, PolicyChange } from '../types.js'
import { type Duration, timerMs } from '../validation/duration.js'
import type { EnqueueOptions, NewJob } from '../validation/job-input.js'
import { CompletionWaiter, type FinalStatus, type ProgressCallback } from './completion-waiter.js'
import { checkOptionNames } from '../validation/option-names.js'
import { checkAbortSignal } from '../validation/abort-signal.js'
import { entrypointNameProblem, entrypointNamesProblem } from '../validation/entrypoint-names.js'
import { checkJobId, checkJobIds } from '../validation/job-ids.js'
import { createTracing, type Tracing, type TracingOptions } from '../observability/tracing.js'

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

/** A flow step typed by the registry, as TypedNewJob: its payload is its entrypoint's. */
export type TypedFlowStep<R extends Registry> = keyof R extends never
  ? FlowStep
  : { [N in keyof R & string]: FlowStep<R[N]> & { entrypoint: N } }[keyof R & string]

export interface ProducerOptions extends QueueConnectionOptions {
  /** waitFor's poll, the fallback to notifications. Default 1 s. */
  waitPollInterval?: Duration
  /**
   * What time it is for cron schedules: when ticks are due and when the scheduler wakes.
   * Default the system clock; a test can move it on instead of waiting. Job times
   * (runAt, delay, backoff, leases) are the database's own now().
   */
  clock?: () => Date
  /** OpenTelemetry spans for enqueues and runs: { api } with `import * as otel from '@opentelemetry/api'`. Default off. */
  tracing?: TracingOptions
}

export interface WaitOptions {
  /** Reject with WaitTimeoutError after this long. Default: wait as long as it takes. */
  timeout?: Duration
  signal?: AbortSignal
  /**
   * Called with a running job's progress (its handler's ctx.progress()) whenever a new value
   * is seen: announced by the heartbeat that writes it, or found by the poll (behind a
   * transaction pooler, the only way). The value already there when the wait begins comes
   * first; values reported between two heartbeats are not all seen, the latest is. Errors it
   * throws are ignored.
   */
  onProgress?: ProgressCallback
}

const PRODUCER_OPTIONS = ['driver', 'schema', 'checkSchema', 'waitPollInterval', 'clock', 'tracing']
const WAIT_OPTIONS = ['timeout', 'signal', 'onProgress']

/** How a job ended, and what its handler returned. */
export interface JobOutcome {
  status: FinalStatus
  /** The stored result of a successful job; null for any other status, or when none was stored (see maxResultBytes, logSuccess). */
  result: Json | null
}

/**
 * Everything but running jobs: enqueue, inspect (status, history, job, queueSize, waitFor)
 * and control (cancel, requeue, pause, resume, fleet policy), in one place. Safe on the
 * edge. A Queue is a Producer that also runs workers.
 */
// biome-ignore lint/complexity/noBannedTypes: {} is the empty registry
export class Producer<R extends Registry = {}> {
  readonly schema: string
  protected readonly driver: QueueConnectionOptions['driver']
  protected readonly checkSchema: boolean
  protected readonly tracing: Tracing | undefined
  readonly #jobs: JobOperations
  readonly #fleet: Fleet
  readonly #view: OperationsView
  readonly #waiter: CompletionWaiter
  readonly #schemaGate: () => Promise<void>
  /** The option names the constructor takes, and whose they are (a Queue takes more). */
  protected static readonly options = { names: PRODUCER_OPTIONS, of: 'createProducer' }

  constructor(options: ProducerOptions) {
    if (typeof options !== 'object' || options === null || typeof options.driver?.query !== 'function') {
      throw new ConfigurationError('pass { driver }: a pgq driver such as nodePostgresDriver({ connectionString })')
    }
    const known = (new.target as typeof Producer).options
    checkOptionNames(options, known.names, known.of)
    this.schema = schemaName(options.schema)
    this.driver = options.driver
    this.checkSchema = options.checkSchema ?? true
    this.#schemaGate = schemaGate(this.driver, this.schema, this.checkSchema)
    const ready = () => this.ready()
    this.tracing = createTracing(options.tracing)
    this.#jobs = jobOperations(this.driver, this.schema, ready, this.tracing)
    this.#fleet = createFleet({ driver: this.driver, schema: this.schema, ready })
    this.#view = operationsView(this.driver, this.schema, ready)
    this.#waiter = new CompletionWaiter({
      status: (ids) => this.#jobs.status(ids),
      driver: this.driver,
      channel: eventsChannel(this.schema),
      pollIntervalMs: timerMs(options.waitPollInterval ?? 1000, 'waitPollInterval'),
    })
  }

  /** The gate before the first statement: the schema check (a Queue also registers its entrypoints). */
  protected ready(): Promise<unknown> {
    return this.#schemaGate()
  }

  enqueue<N extends EntrypointName<R>>(
    entrypoint: N,
    payload: PayloadOf<R, N>,
    options: EnqueueOptions & BatchOptions & ({ onConflict: 'skip' } | NullingDedupe),
  ): Promise<JobId | null>
  enqueue<N extends EntrypointName<R>>(entrypoint: N, payload: PayloadOf<R, N>, options?: EnqueueOptions & BatchOptions): Promise<JobId>
  enqueue(entrypoint: string, payload: unknown, options?: EnqueueOptions & BatchOptions): Promise<JobId | null> {
    return this.#afterChecks([{ entrypoint, payload }], false, () => this.#jobs.enqueue(entrypoint, payload, options))
  }

  enqueueMany(jobs: readonly TypedNewJob<R>[], options: BatchOptions & { onConflict: 'skip' }): Promise<(JobId | null)[]>
  enqueueMany<J extends TypedNewJob<R>>(jobs: readonly J[], options?: BatchOptions): Promise<EnqueuedId<J>[]>
  enqueueMany(jobs: readonly TypedNewJob<R>[], options?: BatchOptions): Promise<(JobId | null)[]> {
    return this.#afterChecks(jobs, true, () => this.#jobs.enqueueMany(jobs, options))
  }

  /**
   * A DAG of jobs in one call and one transaction: each step waits (status 'blocked') for
   * the steps named in its `after`, and runs once they have all succeeded. Returns each
   * step's job id by key.
   */
  flow(steps: readonly TypedFlowStep<R>[], options?: FlowOptions): Promise<Record<string, JobId>> {
    return this.#afterChecks(steps, true, () => enqueueFlow(this.#jobs, this.driver, steps, options))
  }

  /** `write` once checkPayloads passed; at once when there is nothing to check (no await on the hot path). A non-array is write's to refuse. */
  #afterChecks<T>(jobs: readonly unknown[], batch: boolean, write: () => Promise<T>): Promise<T> {
    const checking = Array.isArray(jobs) ? this.checkPayloads(jobs, batch) : undefined
    return checking ? checking.then(write) : write()
  }

  /** enqueueMany without checkPayloads: for a schedule's ticks, where one refused payload would hold back every due tick. */
  protected enqueueUnchecked(jobs: readonly NewJob[], options: BatchOptions & { onConflict: 'skip' }): Promise<(JobId | null)[]> {
    return this.#jobs.enqueueMany(jobs, options)
  }

  /**
   * Checks payloads against what this handle knows of their entrypoints, before anything is
   * written; undefined when there is nothing to check. A producer knows no handlers: a Queue
   * checks each payload its entrypoint's schema is given for.
   */
  protected checkPayloads(_jobs: readonly unknown[], _batch: boolean): Promise<void> | undefined {
    return undefined
  }

  /** Removes the jobs from the queue, logs them as canceled and aborts them where they run. */
  cancel(ids: readonly JobId[], options?: InTransaction): Promise<{ id: JobId; previousStatus: JobStatus }[]> {
    return this.#jobs.cancel(ids, options)
  }

  /** Puts held (failed) jobs back in the queue, attempts reset: by id, or all of some entrypoints ({} : all). */
  requeue(target: RequeueTarget, options?: InTransaction): Promise<JobId[]> {
    return this.#jobs.requeue(target, options)
  }

  /** Each job's status: its queue row's while queued, running or held, else its last log entry's. */
  status(ids: readonly JobId[]): Promise<JobState[]> {
    return this.#jobs.status(ids)
  }

  /** Every log entry of a job, oldest first. */
  history(id: JobId): Promise<LogEntry[]> {
    return this.#jobs.history(id)
  }

  /** The job's queue row, or null once it has left the queue. */
  job<P = unknown>(id: JobId): Promise<Job<P> | null> {
    return this.#jobs.job<P>(id)
  }

  /** The queued or running job holding this dedupe key, or null. */
  jobByDedupeKey<P = unknown>(key: string): Promise<Job<P> | null> {
    return this.#view.jobByDedupeKey<P>(key)
  }

  /** Every entrypoint with jobs, a policy or a schedule: jobs by state, the oldest due job's age, paused. */
  overview(): Promise<EntrypointOverview[]> {
    return this.#view.overview()
  }

  /** Jobs that failed for good (held or dropped), newest first, each with its last traceback and fingerprint. */
  failures(query?: FailureQuery): Promise<FailureRecord[]> {
    return this.#view.failures(query)
  }

  /** The stored cron schedules with their next and last run. */
  schedules(): Promise<ScheduleInfo[]> {
    return this.#view.schedules()
  }

  /** Deletes an entrypoint's stored schedules (or just the one with this expression); returns how many. */
  removeSchedules(entrypoint: string, expression?: string): Promise<number> {
    return this.#view.removeSchedules(entrypoint, expression)
  }

  /** Jobs in the queue per entrypoint, status and priority. */
  queueSize(): Promise<QueueSizeRow[]> {
    return this.#jobs.queueSize()
  }

  /**
   * Finished work per minute, entrypoint, status and priority (default: the last hour):
   * counts, and run and wait durations (mean, p50, p95, max). Written by the statements that
   * finish jobs, so successes count with logSuccess: false too.
   */
  async statistics(query?: StatisticsQuery): Promise<StatisticsBucket[]> {
    return readStatisticsBuckets(this.driver, this.schema, query, () => this.ready())
  }

  /**
   * Table health: the xmin horizon, dead tuples of the jobs table, running jobs past their
   * lease, schedules nobody fires, the schema version, and the durability level. Skips the
   * schema gate, so it works (and says so) when the schema is behind.
   */
  async health(options?: HealthOptions): Promise<HealthReport> {
    return checkHealth(this.driver, this.schema, healthSettings(options, this.leaseTimeouts()))
  }

  /** Each entrypoint's lease in ms, for health(): none known here (a Queue knows its own). */
  protected leaseTimeouts(): Record<string, number> {
    return {}
  }

  /** Resolves with the final status of a job (or of each job, in order). */
  waitFor(id: JobId, options?: WaitOptions): Promise<FinalStatus>
  waitFor(ids: readonly JobId[], options?: WaitOptions): Promise<FinalStatus[]>
  async waitFor(idOrIds: JobId | readonly JobId[], options: WaitOptions = {}): Promise<FinalStatus | FinalStatus[]> {
    const { statuses } = await this.#wait(idOrIds, options)
    return Array.isArray(idOrIds) ? statuses : statuses[0]!
  }

  /** Checks a wait's arguments before anything runs, then waits: one status per id, in order. */
  async #wait(idOrIds: unknown, options: WaitOptions): Promise<{ ids: JobId[]; statuses: FinalStatus[] }> {
    const ids = Array.isArray(idOrIds) ? [...checkJobIds(idOrIds)] : [checkJobId(idOrIds)]
    checkOptionNames(options, WAIT_OPTIONS, 'waitFor')
    const timeoutMs = options.timeout === undefined ? undefined : timerMs(options.timeout, 'timeout')
    checkAbortSignal(options.signal)
    if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new ConfigurationError('onProgress must be a function')
    const field = Array.isArray(idOrIds) ? 'ids' : 'id'
    const results = await this.#waiter.waitFor(ids, { timeoutMs, signal: options.signal, onProgress: options.onProgress, field })
    return { ids, statuses: ids.map((id) => results.get(id)!) }
  }

  /**
   * As waitFor, and with what each job's handler returned: resolves with `{ status, result }`
   * (or one per job, in order) once the job has ended; result is null unless it succeeded
   * with a stored result. One more statement after the wait reads the results.
   */
  waitForResult(id: JobId, options?: WaitOptions): Promise<JobOutcome>
  waitForResult(ids: readonly JobId[], options?: WaitOptions): Promise<JobOutcome[]>
  async waitForResult(idOrIds: JobId | readonly JobId[], options: WaitOptions = {}): Promise<JobOutcome | JobOutcome[]> {
    const { ids, statuses } = await this.#wait(idOrIds, options)
    const succeeded = ids.filter((_, i) => statuses[i] === 'successful')
    const results = new Map((await this.#jobs.status(succeeded)).map((s) => [s.id, s.result]))
    const outcomes = ids.map((id, i) => ({ status: statuses[i]!, result: results.get(id) ?? null }))
    return Array.isArray(idOrIds) ? outcomes : outcomes[0]!
  }

  /** No worker anywhere claims this entrypoint's jobs until resume(); running jobs finish and enqueue still works. */
  async pause(entrypoint: string): Promise<EntrypointPolicy> {
    checkEntrypointName(entrypoint)
    return this.#fleet.pause(entrypoint)
  }

  /** Lets every worker claim this entrypoint again, and wakes listening ones at once. */
  async resume(entrypoint: string): Promise<EntrypointPolicy> {
    checkEntrypointName(entrypoint)
    return this.#fleet.resume(entrypoint)
  }

  /** Sets fleet-wide policy fields of an entrypoint (until a deployment declaring otherwise registers). */
  async setEntrypointPolicy(entrypoint: string, policy: Omit<PolicyChange, 'paused'>): Promise<EntrypointPolicy> {
    checkEntrypointName(entrypoint)
    return this.#fleet.setEntrypointPolicy(entrypoint, policy)
  }

  /** The stored fleet policies (all, or of these entrypoints). */
  async entrypointPolicies(names?: readonly string[]): Promise<EntrypointPolicy[]> {
    const problem = names === undefined ? null : entrypointNamesProblem(names, 'names')
    if (problem) throw new ConfigurationError(problem)
    return this.#fleet.entrypointPolicies(names)
  }

  /** Closes waitFor's listener. The driver stays open (it is yours). */
  async close(): Promise<void> {
    await this.#waiter.close()
  }
}

/** The entrypoint a fleet call names: a raw Postgres error otherwise (22021 for U+0000). */
function checkEntrypointName(name: unknown): void {
  const problem = entrypointNameProblem(name)
  if (problem) throw new ConfigurationError(problem)
}

/** The edge's handle on a queue: enqueue, inspect and control, no workers. */
// biome-ignore lint/complexity/noBannedTypes: no entrypoints known
export function createProducer<R extends Registry = {}>(options: ProducerOptions): Producer<R> {
  return new Producer<R>(options)
}
