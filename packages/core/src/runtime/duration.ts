import ms from 'ms'
import { ConfigurationError } from '../errors.js'

/** A span of time: milliseconds, or text such as '30s', '5m', '1.5h'. */
export type Duration = number | string

export function toMs(value: Duration, what: string): number {
  const parsed = typeof value === 'number' ? value : ms(value as ms.StringValue)
  if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed < 0) {
    throw new ConfigurationError(`${what} must be a duration >= 0 (milliseconds or text like '30s'), got ${JSON.stringify(value)}`)
  }
  return parsed
}
