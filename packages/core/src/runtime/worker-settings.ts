import type { PgqDriver } from '../driver/driver.js'
import type { EntrypointPolicy } from '../queue/fleet.js'
import { ConfigurationError } from '../errors.js'
import { checkAbortSignal } from '../validation/abort-signal.js'
import { type Duration, timerMs } from '../validation/duration.js'
import type { Emitter } from './emitter.js'
import type { EntrypointDefinition } from './entrypoints.js'
import { checkOptionNames } from '../validation/option-names.js'
import { heartbeatInterval } from '../services/heartbeat.js'
import type { RunCounts } from './job-runner.js'
import type { QueueEvents } from './queue-events.js'
import type { PrunerService } from '../services/pruner.js'
import type { ScheduleSource } from '../services/scheduler.js'
import { entrypointNamesProblem } from '../validation/entrypoint-names.js'
import type { Tracing } from '../observability/tracing.js'
import { shown } from '../validation/shown.js'

/** What both run verbs take. */
export interface WorkerOptions {
  /** Most jobs claimed per statement. Default 10. */
  batchSize?: number
  /** Most jobs running at once in this worker; at least 2 × batchSize. Default 2 × batchSize. */
  maxConcurrentTasks?: number
  /** Aborting it stops the worker gracefully. */
  signal?: AbortSignal
  /** Look for jobs this often even without a notification (delayed jobs, missed events). Default 1 s. */
  pollInterval?: Duration
  /** Default: a third of the shortest lease timeout. */
  heartbeatInterval?: Duration
  /** Wait this long to batch results before writing them. Default 0 (the next tick). */
  flushDelay?: Duration
  /**
   * Claims, results and heartbeats commit without waiting for the WAL flush (default true):
   * a database crash can then rerun the last few hundred ms of jobs, never lose one.
   * false: every worker write waits for the flush (a completed job is never rerun by a crash).
   */
  asyncCommit?: boolean
  /** Serve only these registered entrypoints. Default: all. */
  entrypoints?: string[]
  /** This worker's id, a UUID (it is stored on the jobs it holds). Default: a new random UUID. */
  workerId?: string
  /**
   * Run the queue's maintenance services: fire its due schedules (queue.schedule) and
   * apply retention (on one worker of the fleet at a time). A continuous worker runs them
   * for as long as it runs; a drain once, before claiming. Default true.
   */
  maintenance?: boolean
}

/** drain(): one serverless invocation, a cron trigger's or an HTTP request's. */
export interface DrainOptions extends WorkerOptions {
  /** The invocation's time budget: no job starts that would not finish inside it. Default 25 s. */
  timeBudget?: Duration
}

/** start(): a long-lived host, woken by LISTEN/NOTIFY. */
export interface StartOptions extends WorkerOptions {
  /** Graceful stop: wait this long for running jobs, then abandon them to stale rescue. Default 30 s. */
  shutdownTimeout?: Duration
  /** The LISTEN connection's delivery check. Defaults 30 s and 5 s. */
  listener?: { healthCheckInterval?: Duration; roundTripTimeout?: Duration }
}

export interface RunSummary extends RunCounts {
  durationMs: number
  stoppedBy: 'empty' | 'budget' | 'signal' | 'forced'
}

export interface DrainSummary extends RunSummary {
  /** Jobs of the served entrypoints still claimable when it stopped (-1 if unknown). */
  remaining: number
}

export interface WorkerHandle {
  readonly workerId: string
  /** Resolves when the worker has stopped; rejects if it could not start. */
  readonly done: Promise<RunSummary>
  /** Graceful stop; with force, running jobs are aborted and left for stale rescue. */
  stop(options?: { force?: boolean }): Promise<RunSummary>
}

export interface WorkerDeps {
  driver: PgqDriver
  schema: string
  channel: string
  definitions: ReadonlyMap<string, EntrypointDefinition>
  events: Emitter<QueueEvents>
  schedules?: ScheduleSource
  /** The queue's gate: registers its entrypoints' policy (and checks the schema) once; the stored policies. */
  ready: () => Promise<ReadonlyMap<string, EntrypointPolicy>>
  /** The stored policies of these entrypoints now (a long-lived worker re-reads whether any is limited). */
  policies?: (names: readonly string[]) => Promise<EntrypointPolicy[]>
  /** The pruner service of a worker with this id (maintenance on). */
  pruner(workerId: string): PrunerService
  /** Run spans, when the queue has tracing on. */
  tracing?: Tracing
}

const WORKER_OPTIONS = ['batchSize', 'maxConcurrentTasks', 'signal', 'pollInterval', 'heartbeatInterval', 'flushDelay', 'asyncCommit', 'entrypoints', 'workerId', 'maintenance']
const DRAIN_OPTIONS = [...WORKER_OPTIONS, 'timeBudget']
const START_OPTIONS = [...WORKER_OPTIONS, 'shutdownTimeout', 'listener']

/** Whether this run fires the queue's schedules (a worker with schedules needs no entrypoint). */
export function firesSchedules(o: WorkerOptions, deps: WorkerDeps): boolean {
  return !!deps.schedules?.size && o.maintenance !== false
}

/** Most jobs one claim takes: each is a row locked and answered in one statement. */
export const MAX_BATCH_SIZE = 10_000
const MAX_CONCURRENT_TASKS = 100_000

/** Checks a verb's options and fills in defaults. */
export function settings(o: DrainOptions & StartOptions, deps: WorkerDeps, verb: 'drain' | 'start') {
  checkOptionNames(o, verb === 'drain' ? DRAIN_OPTIONS : START_OPTIONS, verb)
  if (o.listener !== undefined) checkOptionNames(o.listener, ['healthCheckInterval', 'roundTripTimeout'], `${verb} listener`)
  checkAbortSignal(o.signal)
  const batchSize = o.batchSize ?? 10
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
    throw new ConfigurationError(`batchSize must be an integer from 1 to ${MAX_BATCH_SIZE}, got ${shown(batchSize)}`)
  }
  const maxConcurrentTasks = o.maxConcurrentTasks ?? 2 * batchSize
  if (!Number.isInteger(maxConcurrentTasks) || maxConcurrentTasks < 2 * batchSize) {
    const batch = o.batchSize === undefined ? `batchSize (default ${batchSize})` : `batchSize (${batchSize})`
    throw new ConfigurationError(
      `maxConcurrentTasks (${shown(maxConcurrentTasks)}) must be an integer of at least ${2 * batchSize}, 2 × ${batch}, so one batch can be claimed while the previous one runs; to run fewer of an entrypoint's jobs at once, set its workerConcurrency`,
    )
  }
  if (maxConcurrentTasks > MAX_CONCURRENT_TASKS) throw new ConfigurationError(`maxConcurrentTasks must be at most ${MAX_CONCURRENT_TASKS}, got ${maxConcurrentTasks}`)
  const names = o.entrypoints ?? [...deps.definitions.keys()]
  const listing = entrypointNamesProblem(names, 'entrypoints')
  if (listing) throw new ConfigurationError(listing)
  const twice = names.find((name, i) => names.indexOf(name) !== i)
  if (twice !== undefined) throw new ConfigurationError(`entrypoints lists ${JSON.stringify(twice)} twice: list each once`)
  const served = names.map((name) => {
    const def = deps.definitions.get(name)
    if (!def) throw new ConfigurationError(`cannot serve ${JSON.stringify(name)}: no such entrypoint is registered`)
    return def
  })
  if (served.length === 0 && !firesSchedules(o, deps)) throw new ConfigurationError('no entrypoints to serve: register one with queue.entrypoint()')
  const timeBudgetMs = timerMs(o.timeBudget ?? 25_000, 'timeBudget')
  if (!(timeBudgetMs > 0)) throw new ConfigurationError(`timeBudget must be more than 0, got ${shown(o.timeBudget)}`)
  const heartbeatIntervalMs = o.heartbeatInterval === undefined ? heartbeatInterval(served.map((d) => d.retryAfterMs)) : timerMs(o.heartbeatInterval, 'heartbeatInterval')
  if (!(heartbeatIntervalMs > 0)) throw new ConfigurationError('heartbeatInterval must be more than 0')
  // A heartbeat slower than a lease lets another worker rescue, and rerun, a job still running here.
  const shortest = served.reduce<EntrypointDefinition | undefined>((min, d) => (d.retryAfterMs > 0 && (!min || d.retryAfterMs < min.retryAfterMs) ? d : min), undefined)
  if (shortest && o.heartbeatInterval !== undefined && heartbeatIntervalMs >= shortest.retryAfterMs) {
    throw new ConfigurationError(
      `heartbeatInterval (${heartbeatIntervalMs} ms) must be shorter than the leaseTimeout of every served entrypoint (${shortest.name}: ${shortest.retryAfterMs} ms); a third of it is the default`,
    )
  }
  const pollIntervalMs = timerMs(o.pollInterval ?? 1000, 'pollInterval')
  if (!(pollIntervalMs > 0)) throw new ConfigurationError('pollInterval must be more than 0')
  return {
    batchSize,
    maxConcurrentTasks,
    served,
    timeBudgetMs,
    pollIntervalMs,
    shutdownTimeoutMs: timerMs(o.shutdownTimeout ?? 30_000, 'shutdownTimeout'),
    heartbeatIntervalMs,
    flushDelayMs: timerMs(o.flushDelay ?? 0, 'flushDelay'),
    asyncCommit: o.asyncCommit ?? true,
    workerId: workerIdOf(o.workerId),
    listener: {
      healthCheckIntervalMs: o.listener?.healthCheckInterval === undefined ? undefined : timerMs(o.listener.healthCheckInterval, 'listener.healthCheckInterval'),
      roundTripTimeoutMs: o.listener?.roundTripTimeout === undefined ? undefined : timerMs(o.listener.roundTripTimeout, 'listener.roundTripTimeout'),
    },
  }
}

export type WorkerSettings = ReturnType<typeof settings>

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** The jobs table stores it as uuid: any other text would fail every claim. */
function workerIdOf(workerId: unknown): string {
  if (workerId === undefined) return crypto.randomUUID()
  if (typeof workerId !== 'string' || !UUID.test(workerId)) {
    throw new ConfigurationError('workerId must be a UUID such as crypto.randomUUID() gives (e.g. 5f0c2a9e-8d3b-4b7e-9a41-2c6d8e0f1b23), or left out for a random one')
  }
  return workerId
}

/** A number as is; anything else quoted with its type, so '20' does not read as 20. */
