import ms from 'ms'
import { ConfigurationError } from '../errors.js'
import { shown } from './shown.js'

/** A span of time: milliseconds, or text such as '30s', '5m', '1.5h'. */
export type Duration = number | string

/** Milliseconds, or undefined when `value` is no finite duration (NaN, Infinity, unreadable text, another type). */
export function parseDuration(value: unknown): number | undefined {
  let parsed: unknown
  if (typeof value === 'number') parsed = value
  else if (typeof value === 'string' && value.length > 0 && value.length <= 100) parsed = ms(value as ms.StringValue) // ms('') throws
  return typeof parsed === 'number' && Number.isFinite(parsed) ? parsed : undefined
}

/** 100 years of 365.25 days: past it, PostgreSQL's intervals and dates overflow and nothing means it. */
export const MAX_DURATION_MS = 100 * 365.25 * 24 * 60 * 60 * 1000

/** The longest delay a JavaScript timer keeps (about 24.8 days): a longer one fires at once, every time. */
export const MAX_TIMER_MS = 2 ** 31 - 1

/** An option's duration in milliseconds, at most 100 years; a ConfigurationError naming the option otherwise. */
export function toMs(value: Duration, what: string): number {
  const parsed = parseDuration(value)
  if (parsed === undefined || parsed < 0) {
    throw new ConfigurationError(`${what} must be a duration >= 0 (milliseconds or text like '30s'), got ${shown(value)}`, { field: what })
  }
  if (parsed > MAX_DURATION_MS) throw new ConfigurationError(`${what} must be at most 100 years, got ${shown(value)}`, { field: what })
  return parsed
}

/** A duration a timer waits for: at most MAX_TIMER_MS. */
export function timerMs(value: Duration, what: string): number {
  const ms = toMs(value, what)
  if (ms > MAX_TIMER_MS) throw new ConfigurationError(`${what} must be at most 24 days (${MAX_TIMER_MS} ms: a longer JavaScript timer fires at once), got ${shown(value)}`, { field: what })
  return ms
}
