import { InvalidJobError } from '../errors.js'
import type { CallerTransaction, InsertJobsColumns, JobId } from '../types.js'
import type { Json } from '../types.js'
import { type JsonIssue, jsonText, MAX_JSON_DEPTH, MAX_JSON_LENGTH } from './json-value.js'
import { addDedupeColumns, type CheckedDedupe, checkDedupe, checkDedupeKey, type Dedupe, type DedupeColumns, MAX_DEDUPE_KEY_LENGTH } from './dedupe-input.js'
import { durationProblem, kindOf, unknownOption } from './describe-input.js'
import { type Duration, parseDuration } from './duration.js'
import { entrypointNameProblem } from './entrypoint-names.js'
import { textProblem } from './text.js'
import { MAX_DATE_MS, MIN_TIMESTAMP_MS, timestampText } from './time.js'

/*
 * What enqueue refuses, before any SQL runs, and what would have happened otherwise.
 * Every refusal is an InvalidJobError naming the job (`index`, in enqueueMany) and the
 * `field`; messages name places, never payload or header data. Unknown option names are a
 * ConfigurationError.
 *
 * | input                                        | without the check                                    |
 * |----------------------------------------------|------------------------------------------------------|
 * | U+0000 in entrypoint or dedupeKey (text)     | Postgres: invalid byte sequence for encoding UTF8     |
 * | U+0000 in a payload/headers string or key    | Postgres: unsupported Unicode escape sequence, quoting the JSON |
 * | lone surrogate in entrypoint or dedupeKey    | silently stored as U+FFFD (the driver's UTF-8 encoding) |
 * | lone surrogate in a payload/headers string or key | Postgres: invalid input syntax for type json, quoting it |
 * | NaN, ±Infinity in payload/headers            | JSON.stringify writes null                            |
 * | undefined, function, symbol in payload/headers | JSON.stringify drops the key (null in an array)     |
 * | array holes                                  | JSON.stringify writes null                            |
 * | bigint                                       | JSON.stringify throws a TypeError                     |
 * | Date, Map, Set, typed array, class instance  | JSON.stringify writes a string, {}, or some fields    |
 * | symbol keys                                  | JSON.stringify drops them                             |
 * | cycles; nesting deeper than MAX_JSON_DEPTH   | TypeError / RangeError; jsonb: stack depth limit exceeded near 10,000 levels |
 * | JSON text > MAX_JSON_LENGTH (payload, headers) | jsonb strings stop at 256 MiB, the bind message at 1 GiB |
 * | batch JSON > MAX_BATCH_JSON_LENGTH           | JS: Invalid string length; Postgres: invalid message length |
 * | headers not a plain object (array, Map, Date, null) | stored as something else, or a jsonb that is not an object |
 * | runAt not a Date (a number, a string)        | a number taken for a delay: Date.now() + 60_000 meant 56 years |
 * | runAt Invalid Date                           | RangeError from toISOString                           |
 * | runAt before 4714-11-24 BC                   | Postgres: timestamp out of range                      |
 * | runAt with a year outside 1..9999            | Postgres: time zone displacement out of range (toISOString's ±YYYYYY) - now written as Postgres reads it |
 * | delay NaN, ±Infinity, < 0, unreadable text   | Postgres: interval out of range (or a job in the past) |
 * | delay ending after +275760-09-13             | Postgres: interval out of range, or 'infinity' (never runs), or unreadable |
 * | runAt and delay both given                   | one silently wins                                     |
 * | priority not an integer in -32768..32767     | Postgres: smallint out of range / invalid input syntax |
 * | entrypoint not 1..128, dedupeKey not 1..512  | pgq's bounds (512 x 3 bytes stays under the unique index's 2704-byte entry limit) |
 * | one dedupeKey twice in a batch               | ON CONFLICT skips the second as if it were held: DuplicateJobError, or null with 'skip' |
 * | dedupe not an object; dedupe.key missing     | TypeError, or the job enqueued with no key: never deduplicated |
 * | dedupe.key as dedupeKey above (twice in a batch, U+0000, length) | as for dedupeKey |
 * | dedupe and dedupeKey both given              | one of the two keys silently wins                     |
 * | dedupe.mode other than the five              | neither raised nor updated: null, as if skipped       |
 * | dedupe.delay/maxDelay/window not a duration pgq can store from now (as delay) | Postgres: interval or timestamp out of range |
 * | delay, maxDelay or window with a mode that does not take it | silently ignored: a window that never throttles |
 * | debounce without delay, throttle without window | no run time to push back to, no window to count     |
 * | throttle window < 1 ms                       | every enqueue opens a window: no throttle at all       |
 * | debounce maxDelay < delay                    | the first run already later than its bound            |
 * | debounce with runAt or delay                 | one of the two run times silently wins                |
 * | replace/debounce with dependsOn              | a queued job updated in place, its new parents never linked |
 * | onConflict other than 'error' / 'skip'       | one job: treated as 'skip'; a batch: as 'error'       |
 * | tx without execute() or query(); options not an object | TypeError, or options silently ignored       |
 * | dependsOn not an array of positive safe integers, or > MAX_DEPENDENCIES | Postgres: invalid input syntax for type bigint |
 * | onParentFailure other than 'fail' / 'cancel' | the check constraint's raw error                       |
 * | jobs not an array; a hole or non-object job  | TypeError, or the hole skipped and ids shifted        |
 *
 * Accepted as JSON leaves them: -0 is stored as 0 (jsonb numeric has no -0); object key
 * order is jsonb's, not the caller's; getters are read as JSON.stringify reads them; numbers
 * keep their value (jsonb numeric holds every finite double exactly).
 */

export { MAX_DEDUPE_KEY_LENGTH }
/** Most jobs one job may depend on. */
export const MAX_DEPENDENCIES = 1000
/** priority is a smallint column. */
export const MIN_PRIORITY = -32768
export const MAX_PRIORITY = 32767
/** All payloads and headers of one enqueueMany together, in characters of JSON text. */
export const MAX_BATCH_JSON_LENGTH = 64 * MAX_JSON_LENGTH
export { MAX_JSON_DEPTH, MAX_JSON_LENGTH }

export interface EnqueueOptions {
  /** Higher runs first; an integer from -32768 to 32767. Default 0. */
  priority?: number
  /** Not before this time. Give runAt or delay, not both; default: now. */
  runAt?: Date
  /** Not before this long from now: milliseconds, or text such as '30s', '5m'. */
  delay?: Duration
  /** While a job with this key is queued, running or blocked, another with it is refused (onConflict: raise or skip). */
  dedupeKey?: string
  /**
   * A dedupe key and what to do while it is held: { key, mode } with mode 'error' | 'skip'
   * (as onConflict, for this job), 'replace', 'debounce' ({ delay, maxDelay? }) or 'throttle'
   * ({ window }). Instead of dedupeKey.
   */
  dedupe?: Dedupe
  headers?: Record<string, Json>
  /**
   * Existing jobs this one waits for: it stays 'blocked' until every one of them has
   * succeeded. At most MAX_DEPENDENCIES ids.
   */
  dependsOn?: readonly JobId[]
  /** When a job it depends on fails for good: 'fail' (default: as if its own attempts ran out) or 'cancel'. */
  onParentFailure?: 'fail' | 'cancel'
}

export interface NewJob<P = unknown> extends EnqueueOptions {
  entrypoint: string
  payload: P
}

/** The batch-wide choices of an enqueue, checked. */
export interface CheckedBatchOptions {
  tx: CallerTransaction | undefined
  onConflict: 'error' | 'skip'
}

const JOB_FIELDS = ['entrypoint', 'payload', 'priority', 'runAt', 'delay', 'dedupeKey', 'dedupe', 'headers', 'dependsOn', 'onParentFailure']
const BATCH_OPTIONS = ['tx', 'onConflict']
const ENQUEUE_OPTIONS = ['priority', 'runAt', 'delay', 'dedupeKey', 'dedupe', 'headers', 'dependsOn', 'onParentFailure', 'tx', 'onConflict']

function isJobField(key: string): boolean {
  switch (key) {
    case 'entrypoint':
    case 'payload':
    case 'priority':
    case 'runAt':
    case 'delay':
    case 'dedupeKey':
    case 'dedupe':
    case 'headers':
    case 'dependsOn':
    case 'onParentFailure':
      return true
    default:
      return false
  }
}

/** enqueueMany's second argument. */
export function checkBatchOptions(options: unknown): CheckedBatchOptions {
  if (options === undefined) return { tx: undefined, onConflict: 'error' }
  checkOptionsObject(options)
  for (const key in options) if (key !== 'tx' && key !== 'onConflict') throw unknownOption(key, 'enqueueMany option', BATCH_OPTIONS)
  const { tx, onConflict } = options as { tx?: unknown; onConflict?: unknown }
  return batchChoices(tx, onConflict)
}

/** enqueue(entrypoint, payload, options): the one job, and the batch-wide choices. */
export function checkEnqueueArguments(entrypoint: unknown, payload: unknown, options: unknown): { job: NewJob; batch: CheckedBatchOptions } {
  if (options === undefined) return { job: { entrypoint: entrypoint as string, payload }, batch: { tx: undefined, onConflict: 'error' } }
  checkOptionsObject(options)
  for (const key in options) {
    if (key === 'entrypoint' || key === 'payload' || !(isJobField(key) || key === 'tx' || key === 'onConflict')) throw unknownOption(key, 'enqueue option', ENQUEUE_OPTIONS)
  }
  const o = options as EnqueueOptions & { tx?: unknown; onConflict?: unknown }
  return {
    job: {
      entrypoint: entrypoint as string,
      payload,
      priority: o.priority,
      runAt: o.runAt,
      delay: o.delay,
      dedupeKey: o.dedupeKey,
      dedupe: o.dedupe,
      headers: o.headers,
      dependsOn: o.dependsOn,
      onParentFailure: o.onParentFailure,
    },
    batch: batchChoices(o.tx, o.onConflict),
  }
}

function checkOptionsObject(options: unknown): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidJobError(`the options must be an object, got ${kindOf(options)}`, undefined, 'options')
  }
}

function batchChoices(tx: unknown, onConflict: unknown): CheckedBatchOptions {
  const runs = (method: string) => typeof (tx as Record<string, unknown>)[method] === 'function'
  if (tx !== undefined && (typeof tx !== 'object' || tx === null || !(runs('execute') || runs('query')))) {
    throw new InvalidJobError(`tx must be a Drizzle transaction, or a pg/Neon client inside BEGIN, got ${kindOf(tx)}`, undefined, 'tx')
  }
  if (onConflict !== undefined && onConflict !== 'error' && onConflict !== 'skip') {
    throw new InvalidJobError(`onConflict must be 'error' or 'skip'`, undefined, 'onConflict')
  }
  return { tx: tx as CallerTransaction | undefined, onConflict: onConflict ?? 'error' }
}

const NOT_YET = Symbol('no entrypoint yet')

/** The insert's column arrays; `dedupe` once some job has a dedupe mode of its own. */
export type EnqueueColumns = InsertJobsColumns & { dedupe?: DedupeColumns }

/**
 * Validates a batch and turns it into the column arrays of the insert; throws before any write.
 * `single`: the batch is one enqueue() call, so errors carry no index.
 */
export function toInsertColumns(jobs: readonly NewJob[], single = false): EnqueueColumns {
  if (!Array.isArray(jobs)) throw new InvalidJobError(`enqueueMany takes an array of jobs, got ${kindOf(jobs)}`, undefined, 'jobs')
  const n = jobs.length
  if (n === 0) throw new InvalidJobError('the batch is empty: pass at least one job', undefined, 'jobs')
  const c: EnqueueColumns = { entrypoints: [], payloads: [], priorities: [], runAt: [], delayMs: [], dedupeKeys: [], headers: [], dependsOn: [], onParentFailure: [] }
  let dedupeKeys: Map<string, number> | undefined
  let entrypoints: Set<string> | undefined // the distinct ones, once there are two: each is checked once
  let previous: string | symbol = NOT_YET
  let now = 0
  let jsonLength = 0
  for (let i = 0; i < n; i++) {
    const index = single ? undefined : i
    const job = jobs[i]
    if (typeof job !== 'object' || job === null || Array.isArray(job)) {
      const what = job === undefined && !(i in jobs) ? 'is missing (a hole in the array)' : `must be an object { entrypoint, payload, ...options }, got ${kindOf(job)}`
      throw new InvalidJobError(`the job ${what}`, index, 'job')
    }
    for (const key in job) if (!isJobField(key)) throw unknownOption(key, 'job field', JOB_FIELDS, index)
    const { entrypoint, payload, priority, runAt, delay, dedupeKey, dedupe, headers, dependsOn, onParentFailure } = job

    if (entrypoint !== previous) {
      if (previous === NOT_YET || !entrypoints?.has(entrypoint)) {
        checkEntrypoint(entrypoint, index)
        if (previous !== NOT_YET) {
          entrypoints ??= new Set([previous as string])
          entrypoints.add(entrypoint)
        }
      }
      previous = entrypoint
    }

    let payloadText: string | null = null
    if (payload !== undefined) {
      const text = jsonText(payload, 'payload')
      if (typeof text !== 'string') throw invalid(text, index)
      payloadText = text
      jsonLength += text.length
    }

    if (priority !== undefined && !(typeof priority === 'number' && Number.isInteger(priority) && priority >= MIN_PRIORITY && priority <= MAX_PRIORITY)) {
      const got = typeof priority === 'number' ? String(priority) : kindOf(priority)
      throw new InvalidJobError(`priority must be an integer from ${MIN_PRIORITY} to ${MAX_PRIORITY} (NaN and fractions are refused), got ${got}`, index, 'priority')
    }

    let at: string | null = null
    let delayMs: number | null = null
    if (runAt !== undefined && delay !== undefined) throw new InvalidJobError('give runAt or delay, not both', index, 'runAt')
    if (runAt instanceof Date) {
      const ms = runAt.getTime()
      if (Number.isNaN(ms)) throw new InvalidJobError('runAt is an Invalid Date', index, 'runAt')
      if (ms < MIN_TIMESTAMP_MS) throw new InvalidJobError('runAt is before 4714-11-24 BC, the earliest time Postgres timestamptz holds', index, 'runAt')
      at = timestampText(ms)
    } else if (runAt !== undefined) {
      const hint = typeof runAt === 'number' ? ' (for a time from now, pass delay in milliseconds)' : ''
      throw new InvalidJobError(`runAt must be a Date, got ${kindOf(runAt)}${hint}`, index, 'runAt')
    } else if (delay !== undefined) {
      if (now === 0) now = Date.now()
      const ms = parseDuration(delay)
      if (!(ms !== undefined && ms >= 0 && ms <= MAX_DATE_MS - now)) throw new InvalidJobError(durationProblem('delay', delay, ms), index, 'delay')
      delayMs = ms
    }

    let key: string | undefined
    let modes: CheckedDedupe | undefined
    if (dedupe !== undefined) {
      modes = checkDedupe(dedupe, { dedupeKey, runAt, delay, dependsOn }, index)
      key = modes.key
      // A debounced job runs its delay after the enqueue (a duplicate moves it in SQL).
      if (modes.delayMs !== null) delayMs = modes.delayMs
    } else if (dedupeKey !== undefined) {
      checkDedupeKey(dedupeKey, index, 'dedupeKey')
      key = dedupeKey
    }
    if (key !== undefined && n > 1) {
      dedupeKeys ??= new Map()
      const first = dedupeKeys.get(key)
      if (first !== undefined) {
        const field = dedupe === undefined ? 'dedupeKey' : 'dedupe.key'
        throw new InvalidJobError(`${field} ${JSON.stringify(key)} is also used by job #${first} of this batch`, index, field)
      }
      dedupeKeys.set(key, i)
    }
    c.dedupe = addDedupeColumns(c.dedupe, i, modes, priority !== undefined)

    let headersText: string | null = null
    if (headers !== undefined) {
      const text = headersJson(headers)
      if (typeof text !== 'string') throw invalid(text, index)
      headersText = text
      jsonLength += text.length
    }

    if (jsonLength > MAX_BATCH_JSON_LENGTH) {
      throw new InvalidJobError(
        `the batch's payloads and headers pass ${MAX_BATCH_JSON_LENGTH} characters of JSON (MAX_BATCH_JSON_LENGTH) at this job: split the batch`,
        index,
        'jobs',
      )
    }
    c.entrypoints.push(entrypoint)
    c.payloads.push(payloadText)
    c.priorities.push(priority ?? 0)
    c.runAt.push(at)
    c.delayMs.push(delayMs)
    c.dedupeKeys.push(key ?? null)
    c.headers.push(headersText)
    c.dependsOn.push(dependsOn === undefined ? null : dependencyIds(dependsOn, index))
    if (onParentFailure !== undefined && onParentFailure !== 'fail' && onParentFailure !== 'cancel') {
      throw new InvalidJobError(`onParentFailure must be 'fail' or 'cancel'`, index, 'onParentFailure')
    }
    c.onParentFailure.push(onParentFailure ?? null)
  }
  return c
}

/** dependsOn as a Postgres array literal of distinct ids (an empty list: no dependency). */
function dependencyIds(ids: unknown, index: number | undefined): string | null {
  if (!Array.isArray(ids)) throw new InvalidJobError(`dependsOn must be an array of job ids, got ${kindOf(ids)}`, index, 'dependsOn')
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k]
    if (!Number.isSafeInteger(id) || id < 1) throw new InvalidJobError(`dependsOn[${k}] must be a job id (a positive integer), got ${kindOf(id)}`, index, 'dependsOn')
  }
  const distinct = [...new Set(ids as number[])]
  if (distinct.length > MAX_DEPENDENCIES) throw new InvalidJobError(`dependsOn names ${distinct.length} jobs; at most ${MAX_DEPENDENCIES}`, index, 'dependsOn')
  return distinct.length === 0 ? null : `{${distinct.join(',')}}`
}

const invalid = (issue: JsonIssue, index: number | undefined) => new InvalidJobError(issue.message, index, issue.field)

function checkEntrypoint(entrypoint: unknown, index: number | undefined): asserts entrypoint is string {
  const problem = entrypointNameProblem(entrypoint)
  if (problem) throw new InvalidJobError(problem, index, 'entrypoint')
}

function headersJson(headers: unknown): string | JsonIssue {
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    return { field: 'headers', message: `headers must be a plain object of JSON values, got ${kindOf(headers)}` }
  }
  return jsonText(headers, 'headers')
}
