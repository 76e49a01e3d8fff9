import ms from 'ms'
import { ConfigurationError } from '../errors.js'

/** A span of time: milliseconds, or text such as '30s', '5m', '1.5h'. */
export type Duration = number | string

/** Milliseconds, or undefined when `value` is no finite duration (NaN, Infinity, unreadable text, another type). */
export function parseDuration(value: unknown): number | undefined {
  let parsed: unknown
  if (typeof value === 'number') parsed = value
  else if (typeof value === 'string' && value.length > 0 && value.length <= 100) parsed = ms(value as ms.StringValue) // ms('') throws
  return typeof parsed === 'number' && Number.isFinite(parsed) ? parsed : undefined
}

/** An option's duration in milliseconds; a ConfigurationError naming the option otherwise. */
export function toMs(value: Duration, what: string): number {
  const parsed = parseDuration(value)
  if (parsed === undefined || parsed < 0) {
    throw new ConfigurationError(`${what} must be a duration >= 0 (milliseconds or text like '30s'), got ${JSON.stringify(value)}`)
  }
  return parsed
}
