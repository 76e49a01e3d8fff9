import { execute, transactionExecutor } from '../driver/executor.js'
import { DuplicateJobError, InvalidJobError } from '../errors.js'
import { cancelJobs } from '../sql/cancel-jobs.js'
import { insertJobs, insertOneJob, linkDependencies } from '../sql/insert-jobs.js'
import { jobById, jobHistory, jobStatus, queueSize } from '../sql/inspect-jobs.js'
import { requeueFailedJobs } from '../sql/requeue-jobs.js'
import { toId, toJob, toLogEntry } from './rows.js'
import { tablesFor } from '../sql/tables.js'
import type { Job, JobId, JobStatus, Json, LogEntry } from '../types.js'
import { dedupeStatement } from '../validation/dedupe-input.js'
import {
  type CheckedBatchOptions,
  checkBatchOptions,
  checkEnqueueArguments,
  type EnqueueColumns,
  type EnqueueOptions,
  type NewJob,
  toInsertColumns,
} from '../validation/job-input.js'
import type { InTransaction } from './options.js'
import type { Executor, PgqDriver } from '../driver/driver.js'
import { checkJobId, checkJobIds, checkRequeueTarget } from '../validation/job-ids.js'
import type { Tracing } from '../observability/tracing.js'

export type OnConflict = 'error' | 'skip'
export interface BatchOptions extends InTransaction {
  /**
   * 'error' (default): a held dedupe key rejects the whole batch with DuplicateJobError. 'skip': null in its place.
   * The default of jobs without a dedupe mode of their own, and what replace/debounce do when the holder cannot be updated.
   */
  onConflict?: OnConflict
}

/** Dedupe modes whose enqueue may give null instead of an id. */
export type NullingDedupe = { dedupe: { mode: 'skip' | 'throttle' } }
/** The id enqueueMany gives for a job of type J: or null, when its dedupe mode skips or throttles. */
export type EnqueuedId<J> = J extends NullingDedupe ? JobId | null : JobId

export interface QueueSizeRow {
  entrypoint: string
  status: JobStatus
  priority: number
  count: number
}

export interface JobState {
  id: JobId
  /** null when the job is unknown (never existed, or its log was cleaned). */
  status: JobStatus | null
  attempts: number
  inQueue: boolean
  /** A finished job's stored result (its handler's return value); null while in the queue, or when none was stored. */
  result: Json | null
  /** A job in the queue: the last progress a heartbeat wrote (ctx.progress()); null once it has left, or when none. */
  progress: Json | null
}

/** What to requeue: these held jobs, or every held job of these entrypoints. */
export type RequeueTarget = readonly JobId[] | { ids?: readonly JobId[]; entrypoints?: readonly string[] }

/**
 * Enqueue, cancel, requeue and look: one statement each. `ready` is the owner's gate
 * (schema check, registration), passed before the first statement; `tracing` (opted into)
 * wraps enqueues in a span whose traceparent goes into the jobs' headers.
 */
export function jobOperations(db: PgqDriver, schema: string, ready: () => Promise<unknown>, tracing?: Tracing) {
  const t = tablesFor(schema)

  async function enqueueMany(jobs: readonly NewJob[], opts: BatchOptions & { onConflict: 'skip' }): Promise<(JobId | null)[]>
  async function enqueueMany<J extends NewJob>(jobs: readonly J[], opts?: BatchOptions): Promise<EnqueuedId<J>[]>
  async function enqueueMany(jobs: readonly NewJob[], opts?: BatchOptions): Promise<(JobId | null)[]> {
    // Checked before anything else: bad input never reaches SQL.
    const batch = checkBatchOptions(opts)
    if (tracing) return tracing.enqueue(jobs, (traced) => insert(toInsertColumns(traced), batch))
    return insert(toInsertColumns(jobs), batch)
  }

  async function insert(columns: EnqueueColumns, batch: CheckedBatchOptions): Promise<(JobId | null)[]> {
    await ready()
    const { tx } = batch
    // Jobs with dedupe modes of their own take the statement with modes; the others, the plain one.
    const { onConflict, modes } = dedupeStatement(columns.dedupe, columns.dedupeKeys, batch.onConflict)
    if (columns.dependsOn.some((ids) => ids !== null)) {
      // Insert and link in one transaction: the caller's, or one of our own.
      const linked = async (executor: Executor) => {
        const rows = await execute(executor, insertJobs(t, columns, onConflict, modes))
        const ids = rows.map((r) => (r.id == null ? null : toId(r)))
        const children = ids.filter((id, i): id is number => id !== null && columns.dependsOn[i] !== null)
        if (children.length > 0) await execute(executor, linkDependencies(t, children))
        return ids
      }
      return (tx ? linked(transactionExecutor(tx)) : db.transaction(linked)).catch((error: unknown) => {
        throw withJobNamingMissing(error, columns.dependsOn)
      })
    }
    if (columns.entrypoints.length === 1 && modes === undefined) {
      // Prepared only on our own pool: the caller's transaction may sit behind another pooler.
      const [row] = tx ? await execute(transactionExecutor(tx), insertOneJob(t, columns)) : await execute(db, insertOneJob(t, columns), { prepare: true })
      if (row) return [toId(row)]
      if (onConflict === 'error') throw new DuplicateJobError([columns.dedupeKeys[0]!])
      return [null]
    }
    const rows = await execute(tx ? transactionExecutor(tx) : db, insertJobs(t, columns, onConflict, modes))
    return rows.map((r) => (r.id == null ? null : toId(r)))
  }

  async function enqueue(entrypoint: string, payload: unknown, opts: EnqueueOptions & BatchOptions & ({ onConflict: 'skip' } | NullingDedupe)): Promise<JobId | null>
  async function enqueue(entrypoint: string, payload?: unknown, opts?: EnqueueOptions & BatchOptions): Promise<JobId>
  async function enqueue(entrypoint: string, payload?: unknown, opts?: EnqueueOptions & BatchOptions): Promise<JobId | null> {
    const { job, batch } = checkEnqueueArguments(entrypoint, payload, opts)
    const [id] = tracing ? await tracing.enqueue([job], (traced) => insert(toInsertColumns(traced, true), batch)) : await insert(toInsertColumns([job], true), batch)
    return id ?? null
  }

  return {
    schema: t.schema,
    channel: t.channel,
    enqueue,
    enqueueMany,

    /** Removes the jobs from the queue, logs them as canceled and tells their workers. */
    async cancel(ids: readonly JobId[], opts: InTransaction = {}): Promise<{ id: JobId; previousStatus: JobStatus }[]> {
      if (checkJobIds(ids).length === 0) return []
      await ready()
      const rows = await execute(opts.tx ? transactionExecutor(opts.tx) : db, cancelJobs(t, [...ids]))
      return rows.map((r) => ({ id: toId(r), previousStatus: r.previous_status as JobStatus }))
    },

    /** Puts held (failed) jobs back in the queue, their attempts reset; returns their ids. */
    async requeue(target: RequeueTarget, opts: InTransaction = {}): Promise<JobId[]> {
      const filter = checkRequeueTarget(target)
      await ready()
      return (await execute(opts.tx ? transactionExecutor(opts.tx) : db, requeueFailedJobs(t, filter))).map(toId)
    },

    async queueSize(): Promise<QueueSizeRow[]> {
      await ready()
      return (await execute(db, queueSize(t))).map((r) => ({
        entrypoint: r.entrypoint as string,
        status: r.status as JobStatus,
        priority: Number(r.priority),
        count: Number(r.count),
      }))
    },

    async status(ids: readonly JobId[]): Promise<JobState[]> {
      if (checkJobIds(ids).length === 0) return []
      await ready()
      return (await execute(db, jobStatus(t, [...ids]))).map((r) => ({
        id: toId(r),
        status: (r.status ?? null) as JobStatus | null,
        attempts: Number(r.attempts ?? 0),
        inQueue: Boolean(r.in_queue),
        result: (r.result ?? null) as Json | null,
        progress: (r.progress ?? null) as Json | null,
      }))
    },

    async history(id: JobId): Promise<LogEntry[]> {
      checkJobId(id)
      await ready()
      return (await execute(db, jobHistory(t, id))).map(toLogEntry)
    },

    /** The job's queue row, or null once it has left the queue. */
    async job<P = unknown>(id: JobId): Promise<Job<P> | null> {
      checkJobId(id)
      await ready()
      const [row] = await execute(db, jobById(t, id))
      return row ? toJob<P>(row) : null
    },
  }
}

export type JobOperations = ReturnType<typeof jobOperations>

/** The database names the dependsOn ids that do not exist, not the job: this finds the first job naming one. */
function withJobNamingMissing(error: unknown, dependsOn: readonly (string | null)[]): unknown {
  if (!(error instanceof InvalidJobError) || error.index !== undefined || !error.jobIds) return error
  const missing = new Set(error.jobIds)
  // Each job's dependsOn as the array literal sent: {1,2,3}.
  const index = dependsOn.findIndex((ids) => ids?.slice(1, -1).split(',').some((id) => missing.has(Number(id))))
  return index < 0 ? error : error.at(index)
}
