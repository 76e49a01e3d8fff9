// Reading the operations commands' arguments: each problem is a UsageError (exit 2) naming
// the flag or argument, raised before anything connects.
import { ConfigurationError } from '../errors.js'
import type { JobId } from '../types.js'
import { MAX_DURATION_MS, MAX_TIMER_MS, toMs } from '../validation/duration.js'
import { entrypointNameProblem } from '../validation/entrypoint-names.js'
import { isRealTime } from '../validation/time.js'
import { UsageError } from './context.js'

/** A most for a duration flag, with how to say it. */
export interface DurationBound {
  ms: number
  text: string
}

/** A span of time to look back or keep: past 100 years PostgreSQL's intervals and JavaScript's dates overflow. */
export const WINDOW: DurationBound = { ms: MAX_DURATION_MS, text: '100 years' }

/** A delay a Node timer waits: a longer one than 2^31-1 ms fires after 1 ms, every time. */
export const TIMER: DurationBound = { ms: MAX_TIMER_MS, text: `24 days (${MAX_TIMER_MS} ms)` }

/** Job ids as typed: positive integers; at least one unless `optional`. */
export function jobIds(args: readonly string[], what = 'job id', optional = false): JobId[] {
  if (args.length === 0 && !optional) throw new UsageError(`pass at least one ${what}`)
  return args.map((arg) => {
    const id = /^[0-9]+$/.test(arg) ? Number(arg) : Number.NaN
    if (!Number.isSafeInteger(id) || id < 1) throw new UsageError(`${what} must be a positive integer up to ${Number.MAX_SAFE_INTEGER}, got ${JSON.stringify(arg.slice(0, 40))}`)
    return id
  })
}

/** Exactly one positional argument, named for the message. */
export function single(args: readonly string[], name: string): string {
  if (args.length === 0) throw new UsageError(`pass the ${name}`)
  if (args.length > 1) throw new UsageError(`pass one ${name}, got ${args.length} arguments`)
  if (args[0] === '') throw new UsageError(`the ${name} must not be empty`)
  return args[0]!
}

/** A duration flag ('30s', '5m', or milliseconds) in milliseconds, at most `max`. */
export function durationFlag(value: string, flag: string, max: DurationBound = WINDOW): number {
  let ms: number
  try {
    ms = toMs(/^[0-9]+$/.test(value) ? Number(value) : value, flag)
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
  if (ms > max.ms) throw new UsageError(`${flag} must be at most ${max.text}, got ${JSON.stringify(value.slice(0, 40))}`)
  return ms
}

/** An entrypoint name as enqueue takes it: 1 to 128 characters. */
export function entrypointName(value: string, what: string): string {
  const problem = entrypointNameProblem(value, what)
  if (problem) throw new UsageError(problem)
  return value
}

/** A repeatable --entrypoint flag; undefined when not given. */
export const entrypointFlags = (values: readonly string[] | undefined): string[] | undefined =>
  values?.length ? values.map((v) => entrypointName(v, '--entrypoint')) : undefined

// YYYY-MM-DD, then optionally [T ]hh:mm[:ss]: the parts Date.parse rolls over instead of refusing.
const ISO_PARTS = /^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?)?/

/**
 * An ISO 8601 time of a real date and clock time (Date.parse reads 2030-02-30 as March 2);
 * without an offset it is local time, as Date reads it.
 */
export function timeFlag(value: string, flag: string): Date {
  const parts = ISO_PARTS.exec(value)?.slice(1).map((p) => (p === undefined ? 0 : Number(p)))
  const ms = parts && realTime(parts) ? Date.parse(value) : Number.NaN
  if (Number.isNaN(ms)) throw new UsageError(`${flag} must be an ISO 8601 time of a real date, such as 2030-01-31T09:00:00Z, got ${JSON.stringify(value.slice(0, 40))}`)
  return new Date(ms)
}

const realTime = ([year, month, day, hour, minute, second]: number[]) => year! >= 1 && isRealTime(year!, month!, day!, hour, minute, second)

/** An integer flag within bounds. */
export function integerFlag(value: string, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = /^-?[0-9]+$/.test(value) ? Number(value) : Number.NaN
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`
    throw new UsageError(`${flag} must be an integer ${range}, got ${JSON.stringify(value.slice(0, 40))}`)
  }
  return n
}

/** One of the allowed words. */
export function choice<T extends string>(value: string, flag: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${flag} must be ${allowed.join(' or ')}, got ${JSON.stringify(value.slice(0, 40))}`)
  return value as T
}

/** Runs `fn`, turning the library's ConfigurationError (a bad setting) into a UsageError. */
export async function asUsage<T>(fn: () => Promise<T> | T, rename: (message: string) => string = (m) => m): Promise<T> {
  try {
    return await fn()
  } catch (error) {
    if (error instanceof ConfigurationError) throw new UsageError(rename(error.message))
    throw error
  }
}
