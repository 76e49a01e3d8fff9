// Request bodies and parameters, checked by Hono's validator before any handler runs.
// Shapes only: pgq itself still checks JSON-ability and ranges (its InvalidJobError is a 400 too).
import * as v from 'valibot'

const entrypoint = v.pipe(v.string(), v.minLength(1), v.maxLength(128))
const jobId = v.pipe(v.number(), v.safeInteger(), v.minValue(1))

export const MAX_JOBS_PER_REQUEST = 1000

export const newJob = v.strictObject({
  entrypoint,
  payload: v.optional(v.unknown(), null),
  priority: v.optional(v.pipe(v.number(), v.integer())),
  /** An ISO timestamp, or a delay in milliseconds. */
  executeAfter: v.optional(
    v.union([
      v.pipe(v.string(), v.isoTimestamp(), v.transform((s) => new Date(s))),
      v.pipe(v.number(), v.minValue(0)),
    ]),
  ),
  dedupeKey: v.optional(v.pipe(v.string(), v.minLength(1))),
  headers: v.optional(v.record(v.string(), v.unknown())),
})

const jobs = v.pipe(v.array(newJob), v.minLength(1), v.maxLength(MAX_JOBS_PER_REQUEST))

/** One job, or an array of them (enqueued in one statement: all or nothing). Chosen by shape, so issues have paths. */
export const enqueueBody = v.lazy((input) => (Array.isArray(input) ? jobs : newJob))

export const idParam = v.object({
  id: v.pipe(v.string(), v.regex(/^[0-9]{1,16}$/, 'must be a positive integer'), v.transform(Number), jobId),
})

export const requeueBody = v.strictObject({
  ids: v.optional(v.pipe(v.array(jobId), v.maxLength(MAX_JOBS_PER_REQUEST))),
  entrypoints: v.optional(v.array(entrypoint)),
})

export const drainBody = v.strictObject({
  timeBudgetMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  entrypoints: v.optional(v.pipe(v.array(entrypoint), v.minLength(1))),
})
