import { execute } from '../driver/executor.js'
import { ConfigurationError } from '../errors.js'
import { claimJobs } from '../sql/claim-jobs.js'
import { dependencyResults } from '../sql/dependency-results.js'
import { finishJobs } from '../sql/finish-jobs.js'
import { heartbeatJobs } from '../sql/heartbeat-jobs.js'
import { eligibleCount } from '../sql/inspect-jobs.js'
import { toId, toJob } from './rows.js'
import { tablesFor } from '../sql/tables.js'
import type { ClaimEntrypoint, DependencyResult, Failure, Job, JobId, JobStatus, Json } from '../types.js'
import type { QueueConnectionOptions } from './options.js'
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

export interface ConsumerOptions extends QueueConnectionOptions {
  workerId: string
  /** Commit claims, results and heartbeats without waiting for the WAL flush (see sql/async-commit.ts). Default true. */
  asyncCommit?: boolean
  /** Entrypoints whose successes get no log row (EntrypointOptions.logSuccess false). */
  unloggedEntrypoints?: readonly string[]
}

/** The hot path of one worker: claim, complete, fail, heartbeat. Every call is one statement. */
export function createConsumer(options: ConsumerOptions & { ready?: () => Promise<unknown> }) {
  const { driver: db, workerId } = options
  const t = tablesFor(options.schema)
  const ready = options.ready ?? schemaGate(db, t.schema, options.checkSchema ?? true)
  const async = options.asyncCommit ?? true
  const unlogged = options.unloggedEntrypoints ?? []
  // Only the claim is prepared (where the driver prepares at all). Results and heartbeats
  // filter on `id = any(<array>)`, which a custom plan hashes (the array is a constant) but
  // a cached generic plan scans linearly per row: 1,000 × 1,000 comparisons for a batch of 1,000.
  const prepare = true
  const finish = async (done: readonly JobId[], failed: readonly Failure[], runMs?: ReadonlyMap<JobId, number>, results?: ReadonlyMap<JobId, string>) => {
    if (done.length === 0 && failed.length === 0) return []
    await ready()
    const rows = await execute(db, finishJobs(t, workerId, { done, failed, unlogged, runMs, results }, async))
    return rows.map((r) => ({ id: toId(r), status: r.status as JobStatus }))
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
      checkClaim(batchSize, entrypoints)
      if (entrypoints.length === 0) return []
      await ready()
      const request = { workerId, batchSize, entrypoints: [...entrypoints], asyncCommit: async }
      const rows = await execute(db, claimJobs(t, request), { prepare })
      return rows.map((r) => toJob<P>(r, workerId))
    },

    /**
     * Writes successes and failures in one statement (with how long each ran, for the
     * statistics, and the JSON text of what succeeded ones returned, for their log rows);
     * returns the jobs this worker still held and where each went.
     */
    finish,

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

    /** Queued jobs of these entrypoints that could be claimed now. */
    async eligible(entrypoints: readonly string[]): Promise<number> {
      await ready()
      const [row] = await execute(db, eligibleCount(t, [...entrypoints]))
      return Number(row?.count ?? 0)
    },
  }
}

export type Consumer = ReturnType<typeof createConsumer>
