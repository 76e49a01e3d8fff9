import type { FailureActionName, JobStatus } from './schema/enums.js'

export type { FailureActionName, JobStatus }
export type JobId = number

/** One result row, keyed by column name. */
export type Row = Record<string, unknown>

/** What runs one statement: pg's Client, PoolClient and Pool fit, and Neon's. */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: Row[] }>
}

/**
 * Any Drizzle Postgres database or transaction, for `{ tx }`: pgq only calls execute().
 * Structural, so pgq's declarations need none of drizzle-orm's.
 */
export interface DrizzleLike {
  execute(query: never): PromiseLike<unknown>
}

/** The caller's own transaction: a Drizzle one, or a pg/Neon client inside BEGIN. */
export type CallerTransaction = DrizzleLike | Queryable

/** A value that survives JSON.stringify/parse unchanged. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json }

export interface Job<P = unknown> {
  id: JobId
  entrypoint: string
  payload: P
  headers: Record<string, Json> | null
  priority: number
  status: JobStatus
  /** Claims so far (stale rescues included), this one too. */
  attempts: number
  /** Attempts it may have, stored at enqueue from its entrypoint's policy. */
  maxAttempts: number
  /** What becomes of it when they run out: kept as 'failed', or dropped as 'exception'. */
  onExhausted: 'hold' | 'delete'
  dedupeKey: string | null
  workerId: string | null
  created: Date
  updated: Date
  heartbeat: Date
  /** Not claimed before this time. */
  runAt: Date
  /**
   * The last progress a handler reported with ctx.progress() and a heartbeat wrote (kept
   * across retries); null when none. A handler's own `job` does not carry it: the claim does not read it.
   */
  progress: Json | null
  /** The jobs it waits for or waited for (dependsOn); null when none, and in a handler's own `job` (the claim does not read it). */
  dependsOn: JobId[] | null
}

/** A job this one depends on, with what it returned (null: nothing stored, or not logged). */
export interface DependencyResult {
  id: JobId
  /** null when its success was not logged (logSuccess: false) or its log was pruned. */
  entrypoint: string | null
  result: Json | null
}

/** What pgq records about a failure: the error and where it happened. */
export interface Traceback {
  name: string
  message: string
  stack: string | null
  attempt: number
  workerId: string
  entrypoint: string
  [extra: string]: Json | undefined
}

export interface LogEntry {
  jobId: JobId
  status: JobStatus
  entrypoint: string
  priority: number
  attempts: number
  created: Date
  traceback: Traceback | null
  /** A 'successful' entry's stored result (the handler's return value); null otherwise, or when nothing was stored. */
  result: Json | null
}

/** What becomes of a failed job: run again later, keep as failed, or drop. */
export type FailureAction = { kind: 'retry'; delayMs: number } | { kind: FailureActionName }

export interface Failure {
  id: number
  traceback: Traceback
  action: FailureAction
}

/** One entrypoint in a claim: what this worker can take of it. */
export interface ClaimEntrypoint {
  name: string
  /** Most jobs of this entrypoint this worker takes now (its own cap). */
  cap: number
  /** A running job whose heartbeat is older than this is re-picked; 0 = never. */
  retryAfterMs: number
}

/** A change to one entrypoint's fleet policy; undefined fields stay as they are. */
export interface PolicyChange {
  concurrencyLimit?: number | undefined
  requestsPerSecond?: number | undefined
  paused?: boolean | undefined
  maxAttempts?: number | undefined
  onExhausted?: FailureActionName | undefined
}

/** What one deployment declares for an entrypoint; undefined fields are left as stored. */
export interface DeclaredPolicy {
  name: string
  concurrencyLimit: number | undefined
  requestsPerSecond: number | undefined
  maxAttempts: number | undefined
  onExhausted: FailureActionName | undefined
  /** Checked retention overrides as JSON text ({ kind: ms | null }), or undefined. */
  retention: string | undefined
}

/** Column arrays of a validated batch, as the insert statement binds them; JSON already serialised. */
export interface InsertJobsColumns {
  entrypoints: string[]
  payloads: (string | null)[]
  priorities: number[]
  runAt: (string | null)[]
  delayMs: (number | null)[]
  dedupeKeys: (string | null)[]
  headers: (string | null)[]
  /** Postgres array literals of the ids each job waits for; null: none. */
  dependsOn: (string | null)[]
  onParentFailure: (string | null)[]
}
