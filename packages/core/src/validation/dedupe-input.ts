// The dedupe option of a job: its key and what an enqueue does while the key is held (a job
// with it is queued, running or blocked), checked before any SQL runs. The modes are done
// by the batch statement (sql/insert-jobs.ts); this file only says which rows ask for what.
import { InvalidJobError } from '../errors.js'
import { durationProblem, kindOf, unknownOption } from './describe-input.js'
import { type Duration, parseDuration } from './duration.js'
import { textProblem } from './text.js'
import { MAX_DATE_MS } from './time.js'

export const MAX_DEDUPE_KEY_LENGTH = 512

/**
 * While the key is held: 'error' raises DuplicateJobError for the batch, 'skip' gives null,
 * 'replace' updates the queued holder, 'debounce' updates it and pushes its run time back,
 * 'throttle' allows one job per key per window (even after that job finished), null otherwise.
 */
export type DedupeMode = 'error' | 'skip' | 'replace' | 'debounce' | 'throttle'
export const DEDUPE_MODES: readonly DedupeMode[] = ['error', 'skip', 'replace', 'debounce', 'throttle']

/** A job's dedupe option, by mode. No mode: the batch's onConflict ('error' unless given). */
export type Dedupe =
  | { key: string; mode?: 'error' | 'skip' | 'replace' }
  | {
      key: string
      mode: 'debounce'
      /** Run this long after the latest enqueue of the key. */
      delay: Duration
      /** But no later than this long after the first (the job's `created`). Default: no bound. */
      maxDelay?: Duration
    }
  | {
      key: string
      mode: 'throttle'
      /** One job per key per window, counted from the enqueue that opened it. */
      window: Duration
    }

/** What one job's dedupe asks for, checked; durations in milliseconds. */
export interface CheckedDedupe {
  key: string
  mode: DedupeMode | undefined
  delayMs: number | null
  maxDelayMs: number | null
  windowMs: number | null
}

/** Per job (null: no mode of its own), the columns the batch statement with modes adds. */
export interface DedupeColumns {
  modes: (DedupeMode | null)[]
  maxDelayMs: (number | null)[]
  windowMs: (number | null)[]
  /** replace/debounce: the enqueue gave a priority, so it replaces the holder's. */
  setsPriority: boolean[]
}

const DEDUPE_FIELDS = ['key', 'mode', 'delay', 'maxDelay', 'window']
/** The fields each mode takes, beside key and mode. */
const MODE_FIELDS: Record<DedupeMode, readonly string[]> = { error: [], skip: [], replace: [], debounce: ['delay', 'maxDelay'], throttle: ['window'] }

/** A dedupe key (of dedupeKey, or dedupe.key as `field`): 1..MAX_DEDUPE_KEY_LENGTH characters Postgres stores as given. */
export function checkDedupeKey(key: unknown, index: number | undefined, field: string): asserts key is string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_DEDUPE_KEY_LENGTH) {
    const got = typeof key === 'string' ? `${key.length} characters` : kindOf(key)
    throw new InvalidJobError(`${field} must be a string of 1 to ${MAX_DEDUPE_KEY_LENGTH} characters, got ${got}`, index, field)
  }
  const problem = textProblem(key)
  if (problem) throw new InvalidJobError(`${field} ${problem}`, index, field)
}

/** The job's other fields a mode depends on. */
interface JobContext {
  dedupeKey: unknown
  runAt: unknown
  delay: unknown
  dependsOn: unknown
}

export function checkDedupe(dedupe: unknown, job: JobContext, index: number | undefined): CheckedDedupe {
  if (typeof dedupe !== 'object' || dedupe === null || Array.isArray(dedupe)) {
    throw new InvalidJobError(`dedupe must be an object { key, mode?, ... }, got ${kindOf(dedupe)}`, index, 'dedupe')
  }
  for (const name in dedupe) if (!DEDUPE_FIELDS.includes(name)) throw unknownOption(name, 'dedupe field', DEDUPE_FIELDS, index)
  if (job.dedupeKey !== undefined) throw new InvalidJobError('give dedupeKey or dedupe (which has its own key), not both', index, 'dedupe')
  const d = dedupe as Record<string, unknown>
  if (d.key === undefined) throw new InvalidJobError('dedupe.key is required: the key the mode applies to', index, 'dedupe.key')
  checkDedupeKey(d.key, index, 'dedupe.key')
  const mode = d.mode as DedupeMode | undefined
  if (mode !== undefined && !DEDUPE_MODES.includes(mode)) {
    throw new InvalidJobError(`dedupe.mode must be one of ${DEDUPE_MODES.map((m) => `'${m}'`).join(', ')}`, index, 'dedupe.mode')
  }
  const takes = MODE_FIELDS[mode ?? 'error']
  for (const name of ['delay', 'maxDelay', 'window']) {
    if (d[name] !== undefined && !takes.includes(name)) {
      throw new InvalidJobError(`dedupe.${name} is for mode '${name === 'window' ? 'throttle' : 'debounce'}', not ${mode === undefined ? 'the default mode' : `'${mode}'`}`, index, `dedupe.${name}`)
    }
  }
  const checked: CheckedDedupe = { key: d.key, mode, delayMs: null, maxDelayMs: null, windowMs: null }
  if (mode === 'replace' || mode === 'debounce') {
    // They update a queued job in place; a job with dependsOn is blocked, and would be another job.
    if (Array.isArray(job.dependsOn) && job.dependsOn.length > 0) {
      throw new InvalidJobError(`dedupe.mode '${mode}' updates a queued job in place and cannot take dependsOn`, index, 'dedupe.mode')
    }
  }
  if (mode === 'debounce') {
    if (job.runAt !== undefined || job.delay !== undefined) {
      throw new InvalidJobError("a debounced job runs dedupe.delay after its latest enqueue: leave out runAt and delay", index, job.runAt !== undefined ? 'runAt' : 'delay')
    }
    if (d.delay === undefined) throw new InvalidJobError("dedupe.delay is required with mode 'debounce'", index, 'dedupe.delay')
    checked.delayMs = durationFromNow(d.delay, index, 'dedupe.delay', 0)
    if (d.maxDelay !== undefined) {
      checked.maxDelayMs = durationFromNow(d.maxDelay, index, 'dedupe.maxDelay', 0)
      if (checked.maxDelayMs < checked.delayMs) throw new InvalidJobError('dedupe.maxDelay must be at least dedupe.delay', index, 'dedupe.maxDelay')
    }
  }
  if (mode === 'throttle') {
    if (d.window === undefined) throw new InvalidJobError("dedupe.window is required with mode 'throttle'", index, 'dedupe.window')
    checked.windowMs = durationFromNow(d.window, index, 'dedupe.window', 1)
  }
  return checked
}

/** A duration of at least `min` ms that, added to now, stays a time pgq can store. */
function durationFromNow(value: unknown, index: number | undefined, field: string, min: number): number {
  const ms = parseDuration(value)
  if (ms !== undefined && ms >= 0 && ms < min) throw new InvalidJobError(`${field} must be at least ${min} ms`, index, field)
  if (!(ms !== undefined && ms >= 0 && ms <= MAX_DATE_MS - Date.now())) throw new InvalidJobError(durationProblem(field, value, ms), index, field)
  return ms
}

/** Adds job i's mode to the columns, made (earlier jobs: no mode) at the first job that has one. */
export function addDedupeColumns(c: DedupeColumns | undefined, i: number, d: CheckedDedupe | undefined, priorityGiven: boolean): DedupeColumns | undefined {
  if (c === undefined) {
    if (d?.mode === undefined) return undefined
    c = { modes: Array(i).fill(null), maxDelayMs: Array(i).fill(null), windowMs: Array(i).fill(null), setsPriority: Array(i).fill(false) }
  }
  c.modes.push(d?.mode ?? null)
  c.maxDelayMs.push(d?.maxDelayMs ?? null)
  c.windowMs.push(d?.windowMs ?? null)
  c.setsPriority.push(priorityGiven)
  return c
}

/**
 * Which statement a batch needs: the plain one (with this onConflict) when every keyed job
 * raises, or every one skips; else the one with modes, each keyed job's mode filled in
 * (its own, or the batch's onConflict).
 */
export function dedupeStatement(c: DedupeColumns | undefined, keys: readonly (string | null)[], onConflict: 'error' | 'skip'): { onConflict: 'error' | 'skip'; modes?: DedupeColumns } {
  if (c === undefined) return { onConflict }
  const modes = keys.map((key, i) => (key === null ? null : (c.modes[i] ?? onConflict)))
  const kinds = new Set(modes.filter((m) => m !== null))
  if (kinds.size === 1 && (kinds.has('error') || kinds.has('skip'))) return { onConflict: kinds.has('error') ? 'error' : 'skip' }
  return { onConflict, modes: { ...c, modes } }
}
