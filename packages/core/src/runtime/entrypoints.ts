import type { StandardSchemaV1 } from '@standard-schema/spec'
import { ConfigurationError, InvalidJobError, PgqError } from '../errors.js'
import { checkRetention, type RetentionPolicy } from '../queue/retention.js'
import { checkRetryPolicy, type RetryPolicy } from '../queue/retry-policy.js'
import type { DeclaredPolicy, DependencyResult, Job, Json } from '../types.js'
import { checkMaxResultBytes } from './job-output.js'
import { entrypointNameProblem } from '../validation/entrypoint-names.js'
import { checkOptionNames } from '../validation/option-names.js'
import { redactValue, valueAt } from '../validation/redact-values.js'
import { type Duration, timerMs, toMs } from '../validation/duration.js'
import { shown } from '../validation/shown.js'

export interface JobContext {
  /** Aborts when the job is canceled, lost to another worker, or the worker is forced to stop. */
  signal: AbortSignal
  workerId: string
  /**
   * Reports how far the job has got: a number or small JSON (at most 4 KiB, MAX_PROGRESS_BYTES).
   * Cheap to call often: the latest value is written with the next heartbeat (not once per
   * call) and announced to waitFor's onProgress; status(), job() and GET /jobs/:id show it.
   * Anything else throws InvalidProgressError naming the field; nothing is recorded then.
   */
  progress(value: Json): void
  /**
   * The jobs this one depends on (dependsOn, then a flow step's `after`), in that order, each
   * with its stored result: how a flow step reads what the steps before it returned. One
   * statement per call; empty for a job without dependencies.
   */
  dependencies(): Promise<DependencyResult[]>
}

/**
 * Runs one job. What it returns (JSON, at most the entrypoint's maxResultBytes) is the job's
 * result: stored with its 'successful' log row, read by waitForResult(), status() and history().
 */
export type Handler<P> = (job: Job<P>, ctx: JobContext) => unknown

export interface EntrypointOptions<P = unknown> extends RetryPolicy {
  /** Most jobs of this entrypoint running at once across ALL workers. Default: no limit. */
  concurrencyLimit?: number
  /** Most jobs of this entrypoint running at once in this worker. Default: no limit. */
  workerConcurrency?: number
  /**
   * The lease: a running job whose heartbeat is older than this is taken to have lost its
   * worker and is re-picked by any worker (a rescue counts as an attempt). 0 disables. Default '60s'.
   */
  leaseTimeout?: Duration
  /** Jobs started per second across all workers, as a token bucket (bursts up to this many at once). Default: no limit. */
  requestsPerSecond?: number
  /**
   * A run longer than this fails: the handler's signal aborts, the attempt counts as failed
   * (retried per maxAttempts and backoff) and its slot is freed even if the handler ignores
   * the signal; a late result is ignored. Default: none.
   */
  timeout?: Duration
  /** Validates (and may transform) the payload before the handler runs; any Standard Schema (valibot, zod...). */
  schema?: StandardSchemaV1<unknown, P>
  /** A first guess of the handler's duration, until a drain has measured it. */
  estimatedDuration?: Duration
  /**
   * Log each successful job (default true). false: a success leaves no row behind, as in
   * graphile-worker; the log row is most of what a short job costs the database. history()
   * and status() then do not know such a job once done, and waitFor learns of it only from
   * the completion event: it needs a LISTEN connection, and a job that finished before the
   * waiter's LISTEN took effect (a wait begun late, or while the queue's first wait is still
   * setting up its listener) times out. Failures, retries and cancels are always logged.
   * No log row also means no stored result.
   */
  logSuccess?: boolean
  /**
   * Largest handler result stored, in bytes of JSON (default 64 KiB, at most 1 MiB). A larger
   * result, or one that is not JSON, is not stored (null): the job still succeeds, and the
   * queue emits 'job:result-dropped' (or warns, without a listener).
   */
  maxResultBytes?: number
  /** How long this entrypoint's finished work is kept, where it differs from the queue's `retention`. */
  retention?: RetentionPolicy
}

export interface EntrypointDefinition {
  name: string
  /** What this deployment says of the fleet policy; registration stores it. */
  declared: DeclaredPolicy
  concurrencyLimit: number
  workerConcurrency: number
  retryAfterMs: number
  requestsPerSecond: number
  /** 0: none. */
  timeoutMs: number
  estimatedDurationMs: number | undefined
  logSuccess: boolean
  /** Largest result stored, in bytes of JSON. */
  maxResultBytes: number
  /** This entrypoint's retention, where it differs from the queue's (checked; ms, null: forever). */
  retention: ReturnType<typeof checkRetention>
  policy: RetryPolicy
  schema: StandardSchemaV1 | undefined
  handler: Handler<unknown>
}

/** A run passed its entrypoint's timeout; the attempt failed. */
export class JobTimeoutError extends PgqError {
  constructor(id: number, entrypoint: string, timeoutMs: number) {
    super('PGQ_JOB_TIMEOUT', `job ${id} (${entrypoint}) ran past its timeout of ${timeoutMs} ms`)
  }
}

/** A drain's run still going when its time budget ran out: aborted, and failed like any attempt. */
export class DrainBudgetError extends PgqError {
  constructor(id: number, entrypoint: string, ranMs: number) {
    super('PGQ_DRAIN_BUDGET', `job ${id} (${entrypoint}) was still running when the drain's time budget ran out, after ${Math.round(ranMs)} ms`)
  }
}

/** A payload that its entrypoint's schema rejected: retrying cannot help. */
export class PayloadValidationError extends PgqError {
  constructor(entrypoint: string, issues: readonly StandardSchemaV1.Issue[], payload?: unknown) {
    const detail = issues
      .map((i) => {
        const path = issuePath(i)
        // The library's message may quote the refused value (or the whole payload): cut out.
        const message = redactValue(redactValue(i.message, valueAt(payload, path)), payload)
        return `${path.join('.') || '(payload)'}: ${message}`
      })
      .join('; ')
    super('PGQ_INVALID_PAYLOAD', `payload rejected by the schema of ${JSON.stringify(entrypoint)}: ${detail}`)
  }
}

function count(value: number | undefined, what: string, min: number): number {
  if (value === undefined) return 0
  // Stored as a Postgres integer: a larger value would fail every registration later.
  if (!Number.isInteger(value) || value < min || value > 2 ** 31 - 1) {
    throw new ConfigurationError(`${what} must be an integer from ${min} to 2147483647, got ${value}`)
  }
  return value
}

/** Every option an entrypoint takes; anything else is a mistake worth an error. */
export const ENTRYPOINT_OPTIONS: readonly (keyof EntrypointOptions)[] = [
  'concurrencyLimit',
  'workerConcurrency',
  'leaseTimeout',
  'requestsPerSecond',
  'timeout',
  'schema',
  'estimatedDuration',
  'logSuccess',
  'maxResultBytes',
  'retention',
  'maxAttempts',
  'onFailure',
  'backoff',
]

export function defineEntrypoint(name: string, options: EntrypointOptions<unknown>, handler: Handler<unknown>): EntrypointDefinition {
  checkOptionNames(options, ENTRYPOINT_OPTIONS, 'entrypoint')
  const problem = entrypointNameProblem(name, 'entrypoint name')
  if (problem) throw new ConfigurationError(problem)
  if (typeof handler !== 'function') throw new ConfigurationError(`entrypoint ${JSON.stringify(name)} needs a handler function`)
  checkRetryPolicy(options)
  const rate = options.requestsPerSecond ?? 0
  if (!Number.isFinite(rate) || rate < 0) throw new ConfigurationError(`requestsPerSecond must be a number >= 0, got ${rate}`)
  const logSuccess = options.logSuccess ?? true
  if (typeof logSuccess !== 'boolean') throw new ConfigurationError(`logSuccess must be true or false, got ${shown(logSuccess)}`)
  const concurrencyLimit = count(options.concurrencyLimit, 'concurrencyLimit', 1)
  checkSchema(options.schema, name)
  const retention = checkEntrypointRetention(options.retention, name)
  const declared = {
    name,
    requestsPerSecond: options.requestsPerSecond,
    maxAttempts: options.maxAttempts,
    onExhausted: options.onFailure,
    retention: Object.keys(retention).length > 0 ? JSON.stringify(retention) : undefined,
  }
  return {
    name,
    declared: { ...declared, concurrencyLimit: options.concurrencyLimit === undefined ? undefined : concurrencyLimit },
    concurrencyLimit,
    workerConcurrency: count(options.workerConcurrency, 'workerConcurrency', 1),
    retryAfterMs: toMs(options.leaseTimeout ?? '60s', 'leaseTimeout'),
    requestsPerSecond: rate,
    timeoutMs: options.timeout === undefined ? 0 : positiveMs(options.timeout, 'timeout'),
    estimatedDurationMs: options.estimatedDuration === undefined ? undefined : toMs(options.estimatedDuration, 'estimatedDuration'),
    logSuccess,
    maxResultBytes: checkMaxResultBytes(options.maxResultBytes, name),
    retention,
    policy: { maxAttempts: options.maxAttempts, onFailure: options.onFailure, backoff: options.backoff },
    schema: options.schema,
    handler,
  }
}

function positiveMs(value: Duration, what: string): number {
  const ms = timerMs(value, what)
  if (ms <= 0) throw new ConfigurationError(`${what} must be more than 0, got ${shown(value)}`)
  return ms
}

/** A schema must be a Standard Schema, or every job would be held with a TypeError from validatePayload. */
function checkSchema(schema: unknown, name: string): void {
  if (schema === undefined) return
  const standard = (schema as { '~standard'?: { validate?: unknown } } | null)?.['~standard']
  if (typeof standard?.validate !== 'function') {
    throw new ConfigurationError(`entrypoint ${JSON.stringify(name)}: schema must be a Standard Schema (valibot, zod, ArkType...), an object whose ~standard.validate is a function`)
  }
}

/** Runs the schema, if any; returns the payload the handler gets. */
export async function validatePayload(def: EntrypointDefinition, payload: unknown): Promise<unknown> {
  if (!def.schema) return payload
  const result = await def.schema['~standard'].validate(payload)
  if (result.issues) throw new PayloadValidationError(def.name, result.issues, payload)
  return result.value
}

/** An issue's path as text keys: Standard Schema allows symbols, which join() would throw on. */
function issuePath(issue: StandardSchemaV1.Issue): string[] {
  return (issue.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p))
}

/** The schema's verdict on a payload being enqueued: InvalidJobError naming its first refused field, and nothing written. */
export async function checkPayloadAtEnqueue(def: EntrypointDefinition, payload: unknown, index: number | undefined): Promise<void> {
  const result = await def.schema!['~standard'].validate(payload)
  if (!result.issues) return
  const path = result.issues[0] ? issuePath(result.issues[0]) : []
  const { message } = new PayloadValidationError(def.name, result.issues, payload)
  // As enqueue's own checks write a field: payload.items[3].name.
  throw new InvalidJobError(message, index, `payload${path.map((k) => (/^\d+$/.test(k) ? `[${k}]` : `.${k}`)).join('')}`)
}

function checkEntrypointRetention(policy: RetentionPolicy | undefined, name: string) {
  if (policy && typeof policy === 'object' && 'statistics' in policy) {
    throw new ConfigurationError(`entrypoint ${JSON.stringify(name)}: retention.statistics is queue-wide: pass it in createQueue({ retention })`)
  }
  return checkRetention(policy, `entrypoint ${JSON.stringify(name)} retention`)
}
