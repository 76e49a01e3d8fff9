import { jsonTextHasBadEscape, textProblem } from './text.js'

/** Deepest nesting of arrays and objects in one payload or headers value (jsonb itself gives up near 10,000). */
export const MAX_JSON_DEPTH = 100
/** Longest JSON text of one payload, and of one job's headers, in characters (UTF-16 code units, as `JSON.stringify(x).length`). */
export const MAX_JSON_LENGTH = 1024 * 1024

/** Where a value cannot go into jsonb unchanged, and why; the message names the place, never the data. */
export interface JsonIssue {
  field: string
  message: string
}

// Lower bound, in characters, of the JSON text still allowed; the fast walk spends it as it goes,
// so a huge value (or a small one that repeats a shared sub-object a billion times) stops early.
let budget = 0

/**
 * The JSON text of `value` for a jsonb column, or the first reason it would not arrive as it is:
 * JSON.stringify drops undefined, functions and symbol keys, turns NaN into null and class
 * instances into something else; jsonb refuses U+0000 and lone surrogates. One JSON.stringify,
 * whose text is then scanned for those two; the walk before it builds no paths: the path of a
 * problem is only worked out once something is wrong.
 */
export function jsonText(value: unknown, root: string): string | JsonIssue {
  budget = MAX_JSON_LENGTH
  if (!plain(value, 0)) return locate(value, root, tooLong(root))
  const text = JSON.stringify(value) as string | undefined
  // The walk passed but the text disagrees: only getters that change between reads get here.
  if (text === undefined) return locate(value, root, { field: root, message: `${root} cannot be written as JSON` })
  if (text.length > MAX_JSON_LENGTH) return tooLong(root)
  if (jsonTextHasBadEscape(text)) return locate(value, root, { field: root, message: `${root} holds U+0000 or a lone surrogate, which Postgres jsonb refuses` })
  return text
}

/**
 * Why a value would not survive the JSON round trip unchanged, or null when it would.
 * A job queue must refuse those instead of running a job with a different payload.
 */
export function jsonProblem(value: unknown, path = 'payload'): string | null {
  const result = jsonText(value, path)
  return typeof result === 'string' ? null : result.message
}

/** True when `value` is JSON that JSON.stringify keeps as it is (strings are checked on the text afterwards). */
function plain(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
      budget -= value.length + 2
      return budget >= 0
    case 'number':
      budget--
      return value - value === 0 // false for NaN and ±Infinity
    case 'boolean':
      budget--
      return true
    case 'object':
      break
    default:
      return false
  }
  if (value === null) {
    budget--
    return true
  }
  if (depth >= MAX_JSON_DEPTH) return false // also where a cycle ends up
  if (Array.isArray(value)) {
    const n = value.length
    budget -= n + 1 // brackets and n - 1 commas: never more than the text, which is measured after
    if (budget < 0) return false
    for (let i = 0; i < n; i++) if (!plain(value[i], depth + 1)) return false // a hole reads as undefined
    return true
  }
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return false
  budget -= 1 // braces, less the comma the last key has not (each key counts quotes, colon and comma)
  for (const key in value) {
    budget -= key.length + 4
    if (budget < 0) return false
    if (!plain((value as Record<string, unknown>)[key], depth + 1)) return false
  }
  return Object.getOwnPropertySymbols(value).length === 0
}

const tooLong = (field: string): JsonIssue => ({
  field,
  message: `${field} is more than ${MAX_JSON_LENGTH} characters of JSON (MAX_JSON_LENGTH); store large data elsewhere and enqueue a reference`,
})

/** The slow walk, run only once something is wrong: the path and the reason of the first problem. */
function locate(value: unknown, root: string, otherwise: JsonIssue): JsonIssue {
  budget = MAX_JSON_LENGTH
  return describe(value, root, 0, []) ?? otherwise
}

function describe(value: unknown, path: string, depth: number, ancestors: object[]): JsonIssue | null {
  const at = (message: string): JsonIssue => ({ field: path, message: `${path} ${message}` })
  switch (typeof value) {
    case 'string': {
      const problem = textProblem(value, 'jsonb')
      if (problem) return at(problem)
      budget -= value.length + 2
      return budget < 0 ? tooLong(rootOf(path)) : null
    }
    case 'number':
      budget--
      return Number.isFinite(value) ? null : at(`is ${value}, which JSON cannot hold (JSON.stringify writes null)`)
    case 'boolean':
      budget--
      return null
    case 'undefined':
      return at('is undefined, which JSON cannot hold (JSON.stringify drops the key, or writes null in an array)')
    case 'object':
      break
    default:
      return at(`is a ${typeof value}, which JSON cannot hold`)
  }
  if (value === null) return null
  if (ancestors.includes(value)) return at('refers back to itself (a cycle)')
  if (depth >= MAX_JSON_DEPTH) return at(`is nested more than ${MAX_JSON_DEPTH} levels deep (MAX_JSON_DEPTH)`)
  if (Array.isArray(value)) {
    budget -= value.length + 1
    if (budget < 0) return tooLong(rootOf(path))
    ancestors.push(value)
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) return { field: `${path}[${i}]`, message: `${path}[${i}] is a hole in the array, which JSON writes as null` }
      const issue = describe(value[i], `${path}[${i}]`, depth + 1, ancestors)
      if (issue) return issue
    }
    ancestors.pop()
    return null
  }
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return at(notPlain(value))
  if (Object.getOwnPropertySymbols(value).length > 0) return at('has a symbol key, which JSON drops')
  const keys = Object.keys(value)
  for (let i = 0; i < keys.length; i++) {
    const problem = textProblem(keys[i]!, 'jsonb')
    if (problem) return at(`has a key (the ${ordinal(i + 1)}) that ${problem}`)
  }
  budget -= 1
  ancestors.push(value)
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!
    budget -= key.length + 4
    if (budget < 0) return tooLong(rootOf(path))
    const issue = describe((value as Record<string, unknown>)[key], childPath(path, key, i), depth + 1, ancestors)
    if (issue) return issue
  }
  // The fast walk also reads inherited enumerable keys (a polluted Object.prototype); JSON drops them.
  for (const key in value) if (!Object.hasOwn(value, key)) return at('inherits an enumerable key from Object.prototype, which JSON drops')
  ancestors.pop()
  return null
}

/** What a non-plain object is, and what JSON.stringify would make of it. */
function notPlain(value: object): string {
  if (value instanceof Date) return 'is a Date, which JSON turns into a string: pass date.toISOString() (or a number) instead'
  if (value instanceof Map || value instanceof Set) return `is a ${value.constructor.name}, which JSON writes as {}: pass a plain object or an array`
  if (ArrayBuffer.isView(value)) return `is a ${value.constructor.name}, which JSON does not keep as it is: pass an array or a string`
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name
  const kind = typeof name === 'string' && name !== '' && name !== 'Object' ? `a ${name}` : 'a class instance'
  return `is ${kind}, not a plain object: JSON would keep only some of it (pass a plain object)`
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

/** payload.items[3].name; a key that is not a name is quoted, or only counted when long. */
function childPath(path: string, key: string, i: number): string {
  if (key.length <= 64 && IDENTIFIER.test(key)) return `${path}.${key}`
  if (key.length <= 64) return `${path}[${JSON.stringify(key)}]`
  return `${path}[the ${ordinal(i + 1)} key]`
}

const rootOf = (path: string) => /^[^.[]*/.exec(path)![0]

function ordinal(n: number): string {
  const tens = n % 100
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th')
  return `${n}${suffix}`
}
