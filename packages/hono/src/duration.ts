import { ConfigurationError, type Duration, parseDuration } from '@pgq/core/edge'

const shown = (value: unknown) => (typeof value === 'number' ? String(value) : JSON.stringify(value)?.slice(0, 64))

/** An option's duration in milliseconds (more than 0), or a ConfigurationError naming it. */
export function durationMs(value: Duration, option: string): number {
  const ms = parseDuration(value)
  if (ms === undefined || !(ms > 0)) throw new ConfigurationError(`${option} must be a duration > 0 (milliseconds or text such as '25s'), got ${shown(value)}`, { field: option })
  return ms
}

/** A drain's budget is a timer: at most 2^31 - 1 ms (24 days), as the drain itself checks. */
const MAX_BUDGET_MS = 2 ** 31 - 1

/** A time budget (or its cap), refused when made if the drain would refuse it at every request or tick. */
export function budgetMs(value: Duration, option: string): number {
  const ms = durationMs(value, option)
  if (ms > MAX_BUDGET_MS) throw new ConfigurationError(`${option} must be at most 24 days (${MAX_BUDGET_MS} ms), got ${shown(value)}`, { field: option })
  return ms
}
