// Valibot building blocks for values that must reach PostgreSQL unchanged: strings it can store,
// JSON it can hold, instants timestamptz can hold. The request shapes are in schemas.ts.
import { isRealTime, MAX_DURATION_MS, parseDuration } from '@pgq/core/edge'
import * as v from 'valibot'

/** Containers nested deeper than this in a payload or headers are refused (recursion stays bounded). */
export const MAX_JSON_DEPTH = 64

/** Years 0001 to 9999, UTC: inside what timestamptz and JavaScript's Date both hold. */
const MIN_TIME = new Date('0001-01-01T00:00:00Z').getTime()
const MAX_TIME = new Date('9999-12-31T23:59:59.999Z').getTime()

/** A delay of at most 100 years (365.25-day years), in milliseconds: pgq's bound on any duration. */
export const MAX_DELAY_MS = MAX_DURATION_MS

const RESERVED_HEADER_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

/** Why PostgreSQL would refuse or alter this string (U+0000, unpaired UTF-16 surrogates), or null. */
export function textProblem(s: string): string | null {
  if (s.includes('\u0000')) return 'contains U+0000, which PostgreSQL cannot store'
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s)) {
    return 'contains an unpaired UTF-16 surrogate, which is not Unicode text'
  }
  return null
}

/** A string PostgreSQL stores as sent, of 1 to `max` UTF-16 code units. */
export function text(max: number) {
  return v.pipe(
    v.string(),
    v.minLength(1, 'must not be empty'),
    v.maxLength(max, `must be at most ${max} characters`),
    v.rawCheck(({ dataset, addIssue }) => {
      const problem = dataset.typed ? textProblem(dataset.value) : null
      if (problem) addIssue({ message: problem })
    }),
  )
}

type PathItem = v.UnknownPathItem
interface Found {
  path: PathItem[]
  message: string
}

/** Walks a parsed JSON value; reports up to `limit` problems, each with its path inside the value. */
function jsonProblems(value: unknown, limit = 10): Found[] {
  const found: Found[] = []
  const walk = (x: unknown, path: PathItem[], depth: number): void => {
    if (found.length >= limit) return
    const report = (message: string) => found.push({ path, message })
    const at = (input: unknown, key: string | number, item: unknown): PathItem[] => [...path, { type: 'unknown', origin: 'value', input, key, value: item }]
    switch (typeof x) {
      case 'string': {
        const problem = textProblem(x)
        if (problem) report(problem)
        return
      }
      case 'number':
        if (!Number.isFinite(x)) report(`is ${x}, which JSON cannot hold`)
        return
      case 'boolean':
        return
      case 'object':
        if (x === null) return
        if (depth >= MAX_JSON_DEPTH) return void report(`is nested more than ${MAX_JSON_DEPTH} levels deep`)
        if (Array.isArray(x)) {
          x.forEach((item, i) => {
            walk(item, at(x, i, item), depth + 1)
          })
          return
        }
        if (Object.getPrototypeOf(x) !== Object.prototype && Object.getPrototypeOf(x) !== null) return void report('is not a plain JSON object')
        for (const [key, item] of Object.entries(x)) {
          const problem = textProblem(key)
          if (problem) report(`has a key that ${problem}`)
          else walk(item, at(x, key, item), depth + 1)
        }
        return
      default:
        report(`is a ${typeof x}, which JSON cannot hold`)
    }
  }
  walk(value, [], 0)
  return found
}

function reportJsonProblems(dataset: { value: unknown }, addIssue: (info: { message: string; path?: [PathItem, ...PathItem[]] }) => void) {
  for (const { path, message } of jsonProblems(dataset.value)) {
    addIssue(path.length > 0 ? { message, path: path as [PathItem, ...PathItem[]] } : { message })
  }
}

/** Any JSON value whose strings PostgreSQL can store, nested at most MAX_JSON_DEPTH deep. Output: the input itself. */
export const jsonValue = v.pipe(
  v.unknown(),
  v.rawCheck(({ dataset, addIssue }) => reportJsonProblems(dataset, addIssue)),
)

/**
 * A plain object of JSON values. Keys JavaScript treats specially (`__proto__`, `constructor`,
 * `prototype`) are refused: pgq would drop them from headers.
 */
export const jsonObject = v.pipe(
  v.custom<Record<string, unknown>>((x) => typeof x === 'object' && x !== null && !Array.isArray(x), 'must be an object of JSON values'),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return
    for (const key of Object.keys(dataset.value)) {
      if (RESERVED_HEADER_KEYS.has(key)) addIssue({ message: `must not have the key ${JSON.stringify(key)}` })
    }
    reportJsonProblems(dataset, addIssue)
  }),
)

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))$/

/** The instant of an RFC 3339 timestamp (with a Z or ±hh:mm offset) that names a real date, or null. */
export function parseTimestamp(s: string): Date | null {
  const m = ISO_TIME.exec(s)
  if (!m) return null
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  const [offsetHours, offsetMinutes] = [Number(m[9] ?? 0), Number(m[10] ?? 0)]
  if (!isRealTime(year, month, day, hour, minute, second) || offsetHours > 23 || offsetMinutes > 59) return null
  const date = new Date(s)
  return Number.isNaN(date.getTime()) ? null : date
}

/** An ISO timestamp (RFC 3339, with an offset) from 0001-01-01 to 9999-12-31 UTC, as a Date (to the millisecond). */
export const timestamp = v.pipe(
  v.string('must be an ISO timestamp with an offset, e.g. 2030-01-31T12:00:00Z (for a time from now, send delay)'),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const date = parseTimestamp(dataset.value)
    if (!date) {
      addIssue({ message: 'must be an ISO timestamp with an offset, e.g. 2030-01-31T12:00:00Z or 2030-01-31T13:00:00+01:00' })
      return NEVER
    }
    if (date.getTime() < MIN_TIME || date.getTime() > MAX_TIME) {
      addIssue({ message: 'must be between 0001-01-01 and 9999-12-31 UTC' })
      return NEVER
    }
    return date
  }),
)

const DELAY_KINDS = "must be a delay: milliseconds (a number) or text such as '30s' or '5m'"

function checkDelayMs(ms: number, addIssue: (info: { message: string }) => void): boolean {
  if (!Number.isFinite(ms)) addIssue({ message: 'must be a finite number of milliseconds' })
  else if (ms < 0) addIssue({ message: 'must not be negative' })
  else if (ms > MAX_DELAY_MS) addIssue({ message: `must be at most ${MAX_DELAY_MS} milliseconds (100 years)` })
  else return true
  return false
}

/** A delay from 0 to MAX_DELAY_MS: milliseconds, or duration text ('30s', '5m'). Output: milliseconds. */
export const delay = v.pipe(
  v.union([v.number(), v.string()], DELAY_KINDS),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const ms = typeof dataset.value === 'number' ? dataset.value : parseDuration(dataset.value)
    if (ms === undefined) {
      addIssue({ message: `${DELAY_KINDS}; this text is not one` })
      return NEVER
    }
    return checkDelayMs(ms, addIssue) ? ms : NEVER
  }),
)
