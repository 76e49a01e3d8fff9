import { Cron } from 'croner'
import { normalisedExpression } from '../validation/text.js'
import { ConfigurationError } from '../errors.js'

/** Keeps a schedule's dedupe key (`schedule:<entrypoint>:<expression>:<tick>`) under its 512-character limit. */
export const MAX_EXPRESSION_LENGTH = 200

/** A validated cron expression in a time zone; Postgres cannot evaluate cron, so next runs come from here. */
export interface CronExpression {
  /** Whitespace-normalised, so '0  3 * * *' and '0 3 * * *' are the same stored schedule. */
  expression: string
  timezone: string
  /** The first tick strictly after `date`. */
  nextAfter(date: Date): Date
}

function isTimeZone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone })
    return true
  } catch {
    return false
  }
}

/** Parses 5-field (minute) and 6-field (second) cron with croner; throws ConfigurationError on anything else. */
export function parseCron(expression: unknown, timezone: unknown = 'UTC'): CronExpression {
  if (typeof expression !== 'string') throw new ConfigurationError(`cron expression must be a string, got ${typeof expression}`)
  const normalised = normalisedExpression(expression)
  if (normalised.length > MAX_EXPRESSION_LENGTH) {
    throw new ConfigurationError(`cron expression must be at most ${MAX_EXPRESSION_LENGTH} characters`)
  }
  if (typeof timezone !== 'string' || !isTimeZone(timezone)) {
    throw new ConfigurationError(`unknown time zone ${JSON.stringify(timezone)}: use an IANA name such as 'UTC' or 'America/New_York'`)
  }
  let cron: Cron
  try {
    cron = new Cron(normalised, { paused: true, timezone, mode: '5-or-6-parts' })
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^CronPattern: /, '').replace(/\.+$/, '') : String(error)
    throw new ConfigurationError(
      `invalid cron expression ${JSON.stringify(expression)}: ${reason}. Use 5 fields (minute hour day month weekday) or 6 (with seconds first)`,
    )
  }
  if (!cron.nextRun(new Date())) throw new ConfigurationError(`cron expression ${JSON.stringify(expression)} never fires`)
  return {
    expression: normalised,
    timezone,
    nextAfter(date) {
      const next = cron.nextRun(date)
      if (!next) throw new ConfigurationError(`cron expression ${JSON.stringify(normalised)} has no tick after ${date.toISOString()}`)
      return next
    },
  }
}
