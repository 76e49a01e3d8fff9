import type { PgqDriver } from '../driver/driver.js'
import type { EntrypointPolicy } from '../queue/fleet.js'
import { ConfigurationError } from '../errors.js'
import type { Emitter } from './emitter.js'
import { checkOptionNames, type EntrypointDefinition } from './entrypoints.js'
import { heartbeatInterval } from './heartbeat-ticker.js'
import type { RunCounts } from './job-runner.js'
import type { QueueEvents } from './queue-events.js'
import type { ScheduleSource } from './scheduler.js'

export interface RunOptions {
  /** 'continuous' (default): a long-lived host woken by LISTEN/NOTIFY. 'drain': one serverless invocation. */
  mode?: 'continuous' | 'drain'
  /** Most jobs claimed per statement. Default 10. */
  batchSize?: number
  /** Most jobs running at once in this worker; at least 2 × batchSize. Default 2 × batchSize. */
  maxConcurrentTasks?: number
  /** Drain mode: the invocation's time budget. Default 25 s. */
  timeBudgetMs?: number
  /** Aborting it stops the worker gracefully. */
  signal?: AbortSignal
  /** Continuous mode: look for jobs this often even without a notification (delayed jobs, missed events). Default 1000. */
  pollIntervalMs?: number
  /** Graceful stop: wait this long for running jobs, then abandon them to stale rescue. Default 30 s. */
  shutdownTimeoutMs?: number
  /** Default: a third of the shortest retry timer. */
  heartbeatIntervalMs?: number
  /** Wait this long to batch results before writing them. Default 0 (the next tick). */
  flushDelayMs?: number
  /**
   * Claims, results and heartbeats commit without waiting for the WAL flush (default true):
   * a database crash can then rerun the last few hundred ms of jobs, never lose one.
   * false: every worker write waits for the flush (a completed job is never rerun by a crash).
   */
  asyncCommit?: boolean
  /** Serve only these registered entrypoints. Default: all. */
  entrypoints?: string[]
  /** Continuous mode's listener. */
  listener?: { healthCheckIntervalMs?: number; roundTripTimeoutMs?: number }
  workerId?: string
  /** Continuous mode: also fire this queue's schedules (queue.schedule). Default true. */
  schedules?: boolean
  /** Drain mode: fire due schedules before claiming. Default false: cron triggers call queue.fireDueSchedules(). */
  fireSchedules?: boolean
}

export interface RunSummary extends RunCounts {
  /** Drain mode: jobs of the served entrypoints still claimable when it stopped (-1 if unknown). */
  remaining: number
  durationMs: number
  stoppedBy: 'empty' | 'budget' | 'signal' | 'forced'
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
}

const RUN_OPTIONS: readonly (keyof RunOptions)[] = [
  'mode',
  'batchSize',
  'maxConcurrentTasks',
  'timeBudgetMs',
  'signal',
  'pollIntervalMs',
  'shutdownTimeoutMs',
  'heartbeatIntervalMs',
  'flushDelayMs',
  'asyncCommit',
  'entrypoints',
  'listener',
  'workerId',
  'schedules',
  'fireSchedules',
]

/** Whether this run fires the queue's schedules (a worker with schedules needs no entrypoint). */
export function firesSchedules(o: RunOptions, deps: WorkerDeps): boolean {
  if (!deps.schedules?.size) return false
  return (o.mode ?? 'continuous') === 'continuous' ? o.schedules !== false : o.fireSchedules === true
}

/** Checks the run options and fills in defaults. */
export function settings(o: RunOptions, deps: WorkerDeps) {
  checkOptionNames(o, RUN_OPTIONS, 'run')
  const batchSize = o.batchSize ?? 10
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ConfigurationError(`batchSize must be an integer >= 1, got ${batchSize}`)
  const maxConcurrentTasks = o.maxConcurrentTasks ?? 2 * batchSize
  if (!Number.isInteger(maxConcurrentTasks) || maxConcurrentTasks < 2 * batchSize) {
    throw new ConfigurationError(
      `maxConcurrentTasks (${maxConcurrentTasks}) must be an integer of at least 2 × batchSize (${2 * batchSize}), so one batch can be claimed while the previous one runs`,
    )
  }
  const names = o.entrypoints ?? [...deps.definitions.keys()]
  const served = names.map((name) => {
    const def = deps.definitions.get(name)
    if (!def) throw new ConfigurationError(`cannot serve ${JSON.stringify(name)}: no such entrypoint is registered`)
    return def
  })
  if (served.length === 0 && !firesSchedules(o, deps)) throw new ConfigurationError('no entrypoints to serve: register one with queue.entrypoint()')
  const mode = o.mode ?? 'continuous'
  if (mode !== 'continuous' && mode !== 'drain') throw new ConfigurationError(`mode must be 'continuous' or 'drain', got ${JSON.stringify(mode)}`)
  const timeBudgetMs = o.timeBudgetMs ?? 25_000
  if (!(timeBudgetMs > 0)) throw new ConfigurationError(`timeBudgetMs must be > 0, got ${timeBudgetMs}`)
  return {
    mode,
    batchSize,
    maxConcurrentTasks,
    served,
    timeBudgetMs,
    pollIntervalMs: o.pollIntervalMs ?? 1000,
    shutdownTimeoutMs: o.shutdownTimeoutMs ?? 30_000,
    heartbeatIntervalMs: o.heartbeatIntervalMs ?? heartbeatInterval(served.map((d) => d.retryAfterMs)),
    flushDelayMs: o.flushDelayMs ?? 0,
    asyncCommit: o.asyncCommit ?? true,
    workerId: o.workerId ?? crypto.randomUUID(),
  }
}
