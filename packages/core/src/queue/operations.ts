import type { Executor, Row } from '../driver/driver.js'
import { execute } from '../driver/executor.js'
import { ConfigurationError } from '../errors.js'
import { failedJobs } from '../sql/failures.js'
import { jobByDedupeKey } from '../sql/inspect-jobs.js'
import { listSchedules, removeSchedules } from '../sql/list-schedules.js'
import { entrypointOverview } from '../sql/overview.js'
import { tablesFor } from '../sql/tables.js'
import type { Job, JobId, Traceback } from '../types.js'
import { checkDedupeKey } from '../validation/dedupe-input.js'
import { type Duration, toMs } from '../validation/duration.js'
import { entrypointNameProblem, entrypointNamesProblem } from '../validation/entrypoint-names.js'
import { normalisedExpression, textProblem } from '../validation/text.js'
import { checkOptionNames } from '../validation/option-names.js'
import { fingerprintOf } from './failure-groups.js'
import { HEALTH_DEFAULTS } from './health.js'
import { toJob } from './rows.js'
import { shown } from '../validation/shown.js'

/** One entrypoint's state right now. */
export interface EntrypointOverview {
  entrypoint: string
  /** Queued and due now. */
  queued: number
  /** Queued with runAt in the future (delayed, or waiting out a retry's backoff). */
  scheduled: number
  /** Running. */
  picked: number
  /** Attempts ran out and the job was kept ('failed'): requeue() puts it back. */
  held: number
  /** Waiting for the jobs it depends on (dependsOn). */
  blocked: number
  /** How long the oldest due job has waited since its runAt; null with none due. */
  oldestQueuedAgeMs: number | null
  paused: boolean
  concurrencyLimit: number | null
}

/** A job that failed for good: held in the queue (requeue-able) or dropped after its attempts. */
export interface FailureRecord {
  jobId: JobId
  entrypoint: string
  held: boolean
  attempts: number
  /** When it failed for good. */
  at: Date
  traceback: Traceback | null
  /** The error's name and top stack frame: one bug, one fingerprint. */
  fingerprint: string
}

export interface FailureQuery {
  entrypoints?: readonly string[]
  /** Failed at least this long ago. */
  olderThan?: Duration
  /** Failed within this long. */
  newerThan?: Duration
  /** Only held (true) or only dropped (false) jobs; default both. */
  held?: boolean
  /** Newest first; default 100, at most 1000. */
  limit?: number
}

export interface ScheduleInfo {
  entrypoint: string
  expression: string
  timezone: string
  nextRun: Date
  lastRun: Date | null
  /** next_run is further in the past than the health check's grace (2 min): nobody fires it. */
  overdue: boolean
}

const MAX_FAILURES = 1000

function checkFailureQuery(q: FailureQuery) {
  if (typeof q !== 'object' || q === null) throw new ConfigurationError('failures() takes { entrypoints?, olderThan?, newerThan?, held?, limit? }')
  checkOptionNames(q, ['entrypoints', 'olderThan', 'newerThan', 'held', 'limit'], 'failures')
  const limit = q.limit ?? 100
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_FAILURES) throw new ConfigurationError(`limit must be an integer from 1 to ${MAX_FAILURES}, got ${shown(q.limit)}`)
  const names = q.entrypoints === undefined ? null : entrypointNamesProblem(q.entrypoints, 'entrypoints')
  if (names) throw new ConfigurationError(names)
  if (q.held !== undefined && typeof q.held !== 'boolean') throw new ConfigurationError('held must be true, false or left out')
  return {
    entrypoints: q.entrypoints ? [...q.entrypoints] : null,
    olderThanMs: q.olderThan === undefined ? null : toMs(q.olderThan, 'olderThan'),
    newerThanMs: q.newerThan === undefined ? null : toMs(q.newerThan, 'newerThan'),
    held: q.held ?? null,
    limit,
  }
}

const date = (v: unknown) => (v instanceof Date ? v : new Date(String(v)))

function toFailure(r: Row): FailureRecord {
  const traceback = (r.traceback ?? null) as Traceback | null
  return {
    jobId: Number(r.job_id),
    entrypoint: r.entrypoint as string,
    held: Boolean(r.held),
    attempts: Number(r.attempts),
    at: date(r.at),
    traceback,
    fingerprint: fingerprintOf(traceback),
  }
}

/** What operators look at: the state per entrypoint, failures, schedules, a job by its key. */
export function operationsView(db: Executor, schema: string, ready: () => Promise<unknown>) {
  const t = tablesFor(schema)
  return {
    async overview(): Promise<EntrypointOverview[]> {
      await ready()
      return (await execute(db, entrypointOverview(t))).map((r) => ({
        entrypoint: r.entrypoint as string,
        queued: Number(r.queued),
        scheduled: Number(r.scheduled),
        picked: Number(r.picked),
        held: Number(r.held),
        blocked: Number(r.blocked),
        oldestQueuedAgeMs: r.oldest_ms === null || r.oldest_ms === undefined ? null : Math.max(0, Number(r.oldest_ms)),
        paused: Boolean(r.paused),
        concurrencyLimit: r.concurrency_limit === null || r.concurrency_limit === undefined ? null : Number(r.concurrency_limit),
      }))
    },

    async failures(query: FailureQuery = {}): Promise<FailureRecord[]> {
      const filter = checkFailureQuery(query)
      await ready()
      return (await execute(db, failedJobs(t, filter))).map(toFailure)
    },

    async schedules(): Promise<ScheduleInfo[]> {
      await ready()
      return (await execute(db, listSchedules(t, HEALTH_DEFAULTS.scheduleGraceMs))).map((r) => ({
        entrypoint: r.entrypoint as string,
        expression: r.expression as string,
        timezone: r.timezone as string,
        nextRun: date(r.next_run),
        lastRun: r.last_run === null || r.last_run === undefined ? null : date(r.last_run),
        overdue: Boolean(r.overdue),
      }))
    },

    async removeSchedules(entrypoint: string, expression?: string): Promise<number> {
      const problem = entrypointNameProblem(entrypoint)
      if (problem) throw new ConfigurationError(problem)
      if (expression !== undefined && typeof expression !== 'string') throw new ConfigurationError('expression must be a cron expression string or left out')
      const bad = expression === undefined ? null : textProblem(expression)
      if (bad) throw new ConfigurationError(`expression ${bad}`)
      await ready()
      const [row] = await execute(db, removeSchedules(t, entrypoint, expression === undefined ? null : normalisedExpression(expression)))
      return Number(row?.count ?? 0)
    },

    async jobByDedupeKey<P = unknown>(key: string): Promise<Job<P> | null> {
      checkDedupeKey(key, undefined, 'dedupeKey')
      await ready()
      const [row] = await execute(db, jobByDedupeKey(t, key))
      return row ? toJob<P>(row) : null
    },
  }
}

export type OperationsView = ReturnType<typeof operationsView>
