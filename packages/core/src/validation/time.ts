import { kindOf } from './describe-input.js'

/** The first instant timestamptz holds: 4714-11-24 00:00:00 UTC BC (ISO year -4713). */
export const MIN_TIMESTAMP_MS = Date.UTC(-4713, 10, 24)
/**
 * The last instant a JS Date holds, +275760-09-13T00:00:00Z. timestamptz goes on to 294276 AD,
 * but a later execute_after would read back as an Invalid Date, so this is the limit.
 */
export const MAX_DATE_MS = 8.64e15

/** Why `value` is no instant a timestamptz holds, or null: a valid Date from MIN_TIMESTAMP_MS on. */
export function dateProblem(value: unknown, field: string): string | null {
  if (!(value instanceof Date)) return `${field} must be a Date, got ${kindOf(value)}`
  const ms = value.getTime()
  if (Number.isNaN(ms)) return `${field} is an Invalid Date`
  if (ms < MIN_TIMESTAMP_MS) return `${field} is before 4714-11-24 BC, the first time Postgres stores`
  return null
}

// Inside these, toISOString() has a four-digit year, which Postgres reads; outside it writes
// "+010000-..." or "-000001-...", which Postgres takes for a time zone and refuses.
const FOUR_DIGIT_YEARS_FROM = Date.parse('0001-01-01T00:00:00Z')
const FOUR_DIGIT_YEARS_UNTIL = Date.parse('+010000-01-01T00:00:00Z') // exclusive

const pad = (n: number, width: number) => String(n).padStart(width, '0')

/** A timestamptz literal Postgres reads back as exactly `ms`, for every instant from MIN_TIMESTAMP_MS to MAX_DATE_MS. */
export function timestampText(ms: number): string {
  const d = new Date(ms)
  if (ms >= FOUR_DIGIT_YEARS_FROM && ms < FOUR_DIGIT_YEARS_UNTIL) return d.toISOString()
  const year = d.getUTCFullYear()
  const time = `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.${pad(d.getUTCMilliseconds(), 3)}+00`
  // ISO year 0 is 1 BC, -1 is 2 BC, and so on.
  return `${pad(year > 0 ? year : 1 - year, 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)} ${time}${year > 0 ? '' : ' BC'}`
}

// How PostgreSQL writes a timestamptz (DateStyle ISO): '2030-01-31 12:00:00.123456+05:30', '0044-03-15 12:00:00+00 BC'.
const PG_TIMESTAMPTZ = /^(\d{4,6})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(\.\d+)?([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?( BC)?$/

/**
 * The instant of a timestamptz as PostgreSQL writes it. Date.parse reads most of these, but
 * takes years 0001-0099 for 2001-2099 and cannot read BC: both are read here.
 */
export function parseTimestamptz(text: string): number {
  const m = PG_TIMESTAMPTZ.exec(text)
  if (!m) return Date.parse(text)
  const [, y, mo, d, h, mi, s, fraction, sign, oh, om, os, bc] = m
  const year = bc ? 1 - Number(y) : Number(y)
  const date = new Date(Date.UTC(2000, Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), fraction ? Math.floor(Number(fraction) * 1000) : 0))
  date.setUTCFullYear(year) // Date.UTC, too, maps years 0-99 to 1900-1999
  const offsetMs = (Number(oh) * 3600 + Number(om ?? 0) * 60 + Number(os ?? 0)) * 1000
  return date.getTime() - (sign === '+' ? offsetMs : -offsetMs)
}
