import { execute } from '../driver/executor.js'
import { ConfigurationError } from '../errors.js'
import { claimJobs } from '../sql/claim-jobs.js'
import { dependencyResults } from '../sql/dependency-results.js'
import { drainTail as drainTailQuery } from '../sql/drain-tail.js'
import { finishJobs } from '../sql/finish-jobs.js'
import { canceledAmong, heartbeatJobs } from '../sql/heartbeat-jobs.js'
import { eligibleCount } from '../sql/inspect-jobs.js'
import { toClaimedJobs, toId } from './rows.js'
import type { Row } from '../driver/driver.js'
import { tablesFor } from '../sql/tables.js'
import type { ClaimEntrypoint, DependencyResult, Failure, Job, JobId, JobStatus, Json } from '../types.js'
import type { QueueConnectionOptions } from './options.js'
import type { SuccessTally } from './success-tally.js'
import { schemaGate } from './schema-check.js'

export type { ClaimEntrypoint }

function checkClaim(batchSize: number, entrypoints: readonly ClaimEntrypoint[]): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new ConfigurationError(`batchSize must be a positive integer, got ${batchSize}`)
  }
  const names = new Set<string>()
  for (const e of entrypoints) {
    // Each listing is claimed for separately, so a second one would escape the limits of the first.
    if (names.has(e.name)) throw new ConfigurationError(`entrypoint ${JSON.stringify(e.name)} is listed twice`)
    names.add(e.name)
    for (const [key, value] of Object.entries({ cap: e.cap, retryAfterMs: e.retryAfterMs })) {
      if (!Number.isFinite(value) || value < 0) {
        throw new ConfigurationError(`entrypoint ${JSON.stringify(e.name)}: ${key} must be a number >= 0, got ${value}`)
      }
    }
  }
}

/** What the finishing statement writes besides where each job goes. */
export interface FinishDetails {
  /** How long each job's handler ran, for the statistics (missing: not counted as a duration). */
  runMs?: ReadonlyMap<JobId, number>
  /** The JSON text of what succeeded jobs' handlers returned, for their log rows. */
  results?: ReadonlyMap<JobId, string>
  /** The successes' statistics, added up by the worker: the statement writes them as they are when every one was still held. */
  tally?: SuccessTally
}

export interface ConsumerOptions extends QueueConnectionOptions {
  workerId: string
  /** Commit claims, results and heartbeats without waiting for the WAL flush (see sql/async-commit.ts). Default true. */
  asyncCommit?: boolean
  /** Entrypoints whose successes get no log row (EntrypointOptions.logSuccess false). */
  unloggedEntrypoints?: readonly string[]
}

/** What a drain asks before it ends: jobs of its entrypoints due now, and whether retention is due. */
export interface DrainTail {
  eligible: number
  pruneDue: boolean
}

/** The hot path of one worker: claim, complete, fail, heartbeat. Every call is one statement. */
export function createConsumer(options: ConsumerOptions & { ready?: () => Promise<unknown> }) {
  const { driver: db, workerId } = options
  const t = tablesFor(options.schema)
  const ready = options.ready ?? schemaGate(db, t.schema, options.checkSchema ?? true)
  const async = options.asyncCommit ?? true
  const unlogged = options.unloggedEntrypoints ?? []
  // Only the claim is prepared (where the driver prepares at all); its function plans without
  // seq scans. Results and heartbeats are planned per call: a generic plan made while the
  // table held a few rows would scan the table for its `id = any(...)` once it holds many.
  const prepare = true
  const write = async (done: readonly JobId[], failed: readonly Failure[], details: FinishDetails = {}, tail?: readonly string[]) => {
    await ready()
    const { runMs, results, tally } = details
    const tallied = tally && tally.count > 0 ? { jobs: tally.count, rows: tally.rows() } : undefined
    return execute(db, finishJobs(t, workerId, { done, failed, unlogged, runMs, results, tail, tallied }, async))
  }
  /** The finishing statement's one row: the successes' ids (null: all of `done`), and each failure's id and where it went. */
  const finished = (done: readonly JobId[], [row]: Row[]): { id: JobId; status: JobStatus }[] => {
    const succeeded = (row!.succeeded ?? done) as readonly unknown[]
    const failedIds = row!.failed_ids as unknown[]
    const statuses = row!.failed_statuses as JobStatus[]
    const out = succeeded.map((id) => ({ id: Number(id), status: 'successful' as JobStatus }))
    for (let i = 0; i < failedIds.length; i++) out.push({ id: Number(failedIds[i]), status: statuses[i]! })
    return out
  }
  const finish = async (done: readonly JobId[], failed: readonly Failure[], details?: FinishDetails) => {
    if (done.length === 0 && failed.length === 0) return []
    return finished(done, await write(done, failed, details))
  }
  const claimWith = async <P>(batchSize: number, entrypoints: readonly ClaimEntrypoint[], lookahead: boolean) => {
    checkClaim(batchSize, entrypoints)
    if (entrypoints.length === 0) return { jobs: [] as Job<P>[], due: undefined }
    await ready()
    const request = { workerId, batchSize, entrypoints: [...entrypoints], asyncCommit: async, lookahead }
    const rows = await execute(db, claimJobs(t, request), { prepare })
    return { jobs: toClaimedJobs<P>(rows, workerId), due: rows[0] && lookahead ? Number(rows[0].lookahead) : undefined }
  }
  const tailOf = (row: Row): DrainTail => ({ eligible: Number(row.eligible) + Number(row.released ?? 0), pruneDue: Boolean(row.prune_due) })
  /** What a drain asks before it ends, alone (nothing left to write). */
  const drainTail = async (entrypoints: readonly string[]): Promise<DrainTail> => {
    await ready()
    const [row] = await execute(db, drainTailQuery(t, entrypoints))
    return tailOf(row!)
  }

  return {
    workerId,

    /** The results of the jobs a job depends on (dependsOn, then a flow's after), in that order. */
    async dependencyResults(id: JobId): Promise<DependencyResult[]> {
      const rows = await execute(db, dependencyResults(t, id))
      return rows.map((r) => ({ id: toId(r), entrypoint: (r.entrypoint ?? null) as string | null, result: (r.result ?? null) as Json | null }))
    },

    /**
     * Takes up to batchSize jobs: stale ones first, then by priority and age, within the
     * fleet's limits, rates and pauses (stored per entrypoint) and this worker's caps.
     */
    async claim<P = unknown>(batchSize: number, entrypoints: readonly ClaimEntrypoint[]): Promise<Job<P>[]> {
      return (await claimWith<P>(batchSize, entrypoints, false)).jobs
    },

    /**
     * A drain's claim: the jobs, and how many were due as it began (at most batchSize + 1,
     * the claimed ones included; unknown when it claimed none).
     */
    claimAndLook<P = unknown>(batchSize: number, entrypoints: readonly ClaimEntrypoint[]): Promise<{ jobs: Job<P>[]; due: number | undefined }> {
      return claimWith<P>(batchSize, entrypoints, true)
    },

    /**
     * Writes successes and failures in one statement (with the details: durations and the
     * successes' tally for the statistics, and the JSON text of what succeeded ones returned,
     * for their log rows); returns the jobs this worker still held and where each went.
     */
    finish,

    /**
     * A drain's last write: the results, and in the same statement whether jobs of these
     * entrypoints are due and whether retention is due (drainTail), one round trip in all.
     */
    async finishLast(
      done: readonly JobId[],
      failed: readonly Failure[],
      entrypoints: readonly string[],
      details?: FinishDetails,
    ): Promise<{ finished: { id: JobId; status: JobStatus }[]; tail: DrainTail }> {
      if (done.length === 0 && failed.length === 0) return { finished: [], tail: await drainTail(entrypoints) }
      const rows = await write(done, failed, details, entrypoints)
      return { finished: finished(done, rows), tail: tailOf(rows[0]!) }
    },

    drainTail,

    /** Marks jobs successful; returns the ids this worker still held. */
    async complete(ids: readonly JobId[]): Promise<JobId[]> {
      return (await finish(ids, [])).map((r) => r.id)
    },

    async fail(failures: readonly Failure[]): Promise<{ id: JobId; status: JobStatus }[]> {
      return finish([], failures)
    },

    /**
     * Refreshes the heartbeat of running jobs, and writes the progress given (JSON text per
     * job, announced to waiters); returns the ids still held by this worker.
     */
    async heartbeat(ids: readonly JobId[], progress?: ReadonlyMap<JobId, string>): Promise<JobId[]> {
      if (ids.length === 0) return []
      await ready()
      return (await execute(db, heartbeatJobs(t, workerId, [...ids], async, progress))).map(toId)
    },

    /** Of jobs no longer held, the ones canceled: a drain hears of a cancel only this way. */
    async canceledAmong(ids: readonly JobId[]): Promise<JobId[]> {
      if (ids.length === 0) return []
      return (await execute(db, canceledAmong(t, [...ids]))).map(toId)
    },

    /** Queued jobs of these entrypoints that could be claimed now. */
    async eligible(entrypoints: readonly string[]): Promise<number> {
      await ready()
      const [row] = await execute(db, eligibleCount(t, [...entrypoints]))
      return Number(row?.count ?? 0)
    },
  }
}

export type Consumer = ReturnType<typeof createConsumer>
