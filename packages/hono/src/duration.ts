import { ConfigurationError, type Duration, parseDuration } from '@pgq/core/edge'

/** An option's duration in milliseconds (more than 0), or a ConfigurationError naming it. */
export function durationMs(value: Duration, option: string): number {
  const ms = parseDuration(value)
  if (ms === undefined || !(ms > 0)) throw new ConfigurationError(`${option} must be a duration > 0 (milliseconds or text such as '25s'), got ${JSON.stringify(value)}`)
  return ms
}
