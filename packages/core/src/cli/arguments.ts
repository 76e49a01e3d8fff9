// Reading the operations commands' arguments: each problem is a UsageError (exit 2) naming
// the flag or argument, raised before anything connects.
import { ConfigurationError } from '../errors.js'
import type { JobId } from '../types.js'
import { toMs } from '../validation/duration.js'
import { UsageError } from './context.js'

/** Job ids as typed: positive integers; at least one unless `optional`. */
export function jobIds(args: readonly string[], what = 'job id', optional = false): JobId[] {
  if (args.length === 0 && !optional) throw new UsageError(`pass at least one ${what}`)
  return args.map((arg) => {
    const id = /^[0-9]+$/.test(arg) ? Number(arg) : Number.NaN
    if (!Number.isSafeInteger(id) || id < 1) throw new UsageError(`${what} must be a positive integer, got ${JSON.stringify(arg.slice(0, 40))}`)
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

/** A duration flag ('30s', '5m', or milliseconds) in milliseconds. */
export function durationFlag(value: string, flag: string): number {
  try {
    return toMs(/^[0-9]+$/.test(value) ? Number(value) : value, flag)
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}

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
