import * as v from 'valibot'
import { InvalidJobError } from '../errors.js'
import type { InsertJobsColumns } from '../sql/insert-jobs.js'
import type { Json } from '../types.js'
import { jsonProblem } from './json-value.js'

export const MAX_ENTRYPOINT_LENGTH = 128
export const MAX_DEDUPE_KEY_LENGTH = 512

export interface EnqueueOptions {
  /** Higher runs first; an integer from -32768 to 32767. Default 0. */
  priority?: number
  /** Not before this time (a Date), or this many milliseconds from now (a number). */
  executeAfter?: Date | number
  /** While a job with this key is queued or running, another with it is refused. */
  dedupeKey?: string
  headers?: Record<string, Json>
}

export interface NewJob<P = unknown> extends EnqueueOptions {
  entrypoint: string
  payload: P
}

const json = v.custom<Json>((x) => jsonProblem(x, 'value') === null, 'must be JSON: plain objects, arrays, strings, finite numbers, booleans, null')

const newJobSchema = v.object({
  entrypoint: v.pipe(
    v.string('entrypoint must be a string'),
    v.minLength(1, 'entrypoint must not be empty'),
    v.maxLength(MAX_ENTRYPOINT_LENGTH, `entrypoint must be at most ${MAX_ENTRYPOINT_LENGTH} characters`),
  ),
  payload: v.unknown(),
  priority: v.optional(
    v.pipe(
      v.number('priority must be an integer, not NaN or a non-number'),
      v.integer('priority must be an integer (NaN and fractions are refused)'),
      v.minValue(-32768, 'priority must be at least -32768'),
      v.maxValue(32767, 'priority must be at most 32767'),
    ),
  ),
  executeAfter: v.optional(
    v.union(
      [
        v.date('executeAfter is an invalid Date'),
        v.pipe(
          v.number(),
          v.finite('executeAfter as a delay must be a finite number of milliseconds'),
          v.minValue(0, 'executeAfter as a delay must be >= 0 milliseconds'),
        ),
      ],
      'executeAfter must be a valid Date or a delay in milliseconds (a finite number >= 0)',
    ),
  ),
  dedupeKey: v.optional(
    v.pipe(
      v.string('dedupeKey must be a string'),
      v.minLength(1, 'dedupeKey must not be empty'),
      v.maxLength(MAX_DEDUPE_KEY_LENGTH, `dedupeKey must be at most ${MAX_DEDUPE_KEY_LENGTH} characters`),
    ),
  ),
  headers: v.optional(v.record(v.string(), json, 'headers must be an object of JSON values')),
})

/** Validates a batch and turns it into the column arrays of the insert; throws before any write. */
export function toInsertColumns(jobs: readonly NewJob[]): InsertJobsColumns {
  if (jobs.length === 0) throw new InvalidJobError('the batch is empty: pass at least one job')
  const c: InsertJobsColumns = {
    entrypoints: [],
    payloads: [],
    priorities: [],
    executeAfter: [],
    delayMs: [],
    dedupeKeys: [],
    headers: [],
  }
  const keys = new Map<string, number>()
  jobs.forEach((job, i) => {
    const index = jobs.length > 1 ? i : undefined
    const parsed = v.safeParse(newJobSchema, job)
    if (!parsed.success) throw new InvalidJobError(parsed.issues[0].message, index)
    const problem = job.payload === undefined ? null : jsonProblem(job.payload)
    if (problem) throw new InvalidJobError(`${problem}; payloads must be JSON-serialisable`, index)
    const { entrypoint, priority = 0, executeAfter, dedupeKey, headers } = parsed.output
    if (dedupeKey !== undefined) {
      const first = keys.get(dedupeKey)
      if (first !== undefined) {
        throw new InvalidJobError(`dedupeKey ${JSON.stringify(dedupeKey)} is also used by job #${first} of this batch`, index)
      }
      keys.set(dedupeKey, i)
    }
    c.entrypoints.push(entrypoint)
    c.payloads.push(job.payload === undefined ? null : JSON.stringify(job.payload))
    c.priorities.push(priority)
    c.executeAfter.push(executeAfter instanceof Date ? executeAfter.toISOString() : null)
    c.delayMs.push(typeof executeAfter === 'number' ? executeAfter : null)
    c.dedupeKeys.push(dedupeKey ?? null)
    c.headers.push(headers === undefined ? null : JSON.stringify(headers))
  })
  return c
}
