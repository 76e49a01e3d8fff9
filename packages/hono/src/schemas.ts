// Request bodies and parameters, checked by Hono's validator before any handler runs: every
// value either reaches PostgreSQL as sent or is refused here, with its path. pgq checks again
// (its InvalidJobError is a 400 too).
import { MAX_DEDUPE_KEY_LENGTH, MAX_DEPENDENCIES, MAX_ENTRYPOINT_LENGTH, MAX_FLOW_KEY_LENGTH } from '@pgq/core/edge'
import * as v from 'valibot'
import { delay, jsonObject, jsonValue, text, timestamp } from './values.js'

export const MAX_JOBS_PER_REQUEST = 1000
const DEDUPE_MODES = ['error', 'skip', 'replace', 'debounce', 'throttle'] as const

const entrypoint = text(MAX_ENTRYPOINT_LENGTH)
const entrypoints = v.pipe(v.array(entrypoint), v.maxLength(MAX_JOBS_PER_REQUEST, `must list at most ${MAX_JOBS_PER_REQUEST} entrypoints`))
const JOB_ID = 'must be a job id: a positive integer up to 9007199254740991'
const jobId = v.pipe(v.number(JOB_ID), v.safeInteger(JOB_ID), v.minValue(1, JOB_ID))

/** valibot's object schemas take arrays for objects: refuse them first. Unknown keys are refused too. */
function object<const Entries extends v.ObjectEntries>(entries: Entries) {
  return v.pipe(
    v.custom<Record<string, unknown>>((x) => typeof x === 'object' && x !== null && !Array.isArray(x), 'must be a JSON object'),
    v.strictObject(entries, (issue) => (issue.expected === 'never' ? 'is not a field of this request (check the spelling)' : 'is required')),
  )
}

/** The fields of one job, as POST /jobs and POST /flows take them. */
const jobEntries = {
  entrypoint,
  payload: v.optional(jsonValue, null),
  priority: v.optional(
    v.pipe(v.number(), v.integer('must be an integer'), v.minValue(-32768, 'must be at least -32768'), v.maxValue(32767, 'must be at most 32767')),
  ),
  /** Not before this instant: an ISO timestamp with an offset (a Date for pgq). */
  runAt: v.optional(timestamp),
  /** Not before this long from now: milliseconds, or text such as '30s' (milliseconds for pgq). */
  delay: v.optional(delay),
  dedupeKey: v.optional(text(MAX_DEDUPE_KEY_LENGTH)),
  /**
   * A dedupe key and what to do while it is held; durations as delay (milliseconds for pgq).
   * Which mode takes which duration pgq checks (a 400 naming the field).
   */
  dedupe: v.optional(
    object({
      key: text(MAX_DEDUPE_KEY_LENGTH),
      mode: v.optional(v.picklist(DEDUPE_MODES, `must be one of ${DEDUPE_MODES.map((m) => `'${m}'`).join(', ')}`)),
      delay: v.optional(delay),
      maxDelay: v.optional(delay),
      window: v.optional(delay),
    }),
  ),
  headers: v.optional(jsonObject),
  /** Ids of existing jobs this one waits for (it runs once they all succeeded). */
  dependsOn: v.optional(v.pipe(v.array(jobId), v.maxLength(MAX_DEPENDENCIES, `must list at most ${MAX_DEPENDENCIES} job ids`))),
  onParentFailure: v.optional(v.picklist(['fail', 'cancel'], "must be 'fail' or 'cancel'")),
}

/** As pgq refuses them (at runAt): one of the two, not both. */
function runAtOrDelay<T extends { runAt?: unknown; delay?: unknown }>() {
  return v.rawCheck<T>(({ dataset, addIssue }) => {
    if (!dataset.typed || dataset.value.runAt === undefined || dataset.value.delay === undefined) return
    const path: [v.UnknownPathItem] = [{ type: 'unknown', origin: 'value', input: dataset.value, key: 'runAt', value: dataset.value.runAt }]
    addIssue({ message: 'give runAt or delay, not both', path })
  })
}

const jobObject = object(jobEntries)
export const newJob = v.pipe(jobObject, runAtOrDelay<v.InferOutput<typeof jobObject>>())

const jobs = v.pipe(
  v.array(newJob),
  v.minLength(1, 'must hold at least one job'),
  v.maxLength(MAX_JOBS_PER_REQUEST, `must hold at most ${MAX_JOBS_PER_REQUEST} jobs`),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return
    const first = new Map<string, number>()
    dataset.value.forEach((job, i) => {
      const key = job.dedupe?.key ?? job.dedupeKey
      if (key === undefined) return
      const seen = first.get(key)
      if (seen === undefined) first.set(key, i)
      else {
        const path: v.UnknownPathItem[] = [{ type: 'unknown', origin: 'value', input: dataset.value, key: i, value: job }]
        if (job.dedupe) {
          path.push({ type: 'unknown', origin: 'value', input: job, key: 'dedupe', value: job.dedupe })
          path.push({ type: 'unknown', origin: 'value', input: job.dedupe, key: 'key', value: key })
        } else path.push({ type: 'unknown', origin: 'value', input: job, key: 'dedupeKey', value: key })
        addIssue({ message: `is also the ${job.dedupe ? 'dedupe.key' : 'dedupeKey'} of job ${seen} of this batch`, path: path as [v.UnknownPathItem, ...v.UnknownPathItem[]] })
      }
    })
  }),
)

/** One job, or an array of them (enqueued in one statement: all or nothing). Chosen by shape, so issues have paths. */
export const enqueueBody = v.lazy((input) => (Array.isArray(input) ? jobs : newJob))

export const idParam = v.object({
  id: v.pipe(v.string(), v.regex(/^[0-9]{1,16}$/, JOB_ID), v.transform(Number), jobId),
})

export const requeueBody = object({
  ids: v.optional(v.pipe(v.array(jobId), v.maxLength(MAX_JOBS_PER_REQUEST, `must list at most ${MAX_JOBS_PER_REQUEST} ids`))),
  entrypoints: v.optional(entrypoints),
})

export const drainBody = object({
  /** Milliseconds, or text such as '10s'. */
  timeBudget: v.optional(v.pipe(delay, v.minValue(1, 'must be at least 1 millisecond'))),
  entrypoints: v.optional(
    v.pipe(entrypoints, v.minLength(1, 'must list at least one entrypoint'), v.check((list) => new Set(list).size === list.length, 'lists an entrypoint twice: list each once')),
  ),
})

/** POST /flows: steps { key, after?, ...a job } enqueued in one transaction. */
const flowStep = object({ ...jobEntries, key: text(MAX_FLOW_KEY_LENGTH), after: v.optional(v.array(text(MAX_FLOW_KEY_LENGTH))) })
export const flowBody = v.pipe(
  v.array(v.pipe(flowStep, runAtOrDelay<v.InferOutput<typeof flowStep>>())),
  v.minLength(1, 'must hold at least one step'),
  v.maxLength(MAX_JOBS_PER_REQUEST, `must hold at most ${MAX_JOBS_PER_REQUEST} steps`),
)
