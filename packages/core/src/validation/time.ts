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

// How PostgreSQL writes a timestamptz (DateStyle ISO): '2030-01-31 12:00:00.123456+05:30',
// '0044-03-15 12:00:00+00 BC', '+00:09:21' offsets (LMT), years of 4 to 6 digits.

/** The number in `text` from `start` for `length` digits, or NaN. */
function digitsAt(text: string, start: number, length: number): number {
  let value = 0
  for (let i = start; i < start + length; i++) {
    const digit = text.charCodeAt(i) - 48
    if (digit < 0 || digit > 9) return Number.NaN
    value = value * 10 + digit
  }
  return value
}

/** Days from 1970-01-01 to a proleptic Gregorian date (any year, 0 = 1 BC): H. Hinnant's days_from_civil. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yearOfEra = y - era * 400
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1
  return era * 146097 + yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear - 719468
}

/**
 * The instant of a timestamptz as PostgreSQL writes it, in milliseconds (NaN for text it did
 * not write, such as 'infinity'). Read by position and arithmetic, not Date.parse: that takes
 * years 0001-0099 for 2001-2099, cannot read BC or LMT offsets, and differs between engines.
 */
export function parseTimestamptz(text: string): number {
  const y = text.indexOf('-', 4) // the year has 4 to 6 digits
  if (y < 4 || y > 6 || text.charCodeAt(y + 6) !== 32 /* ' ' */) return Number.NaN
  const year = digitsAt(text, 0, y)
  const month = digitsAt(text, y + 1, 2)
  const day = digitsAt(text, y + 4, 2)
  const hour = digitsAt(text, y + 7, 2)
  const minute = digitsAt(text, y + 10, 2)
  const second = digitsAt(text, y + 13, 2)
  let at = y + 15
  let fractionMs = 0
  if (text[at] === '.') {
    let scale = 100
    for (at++; at < text.length && text.charCodeAt(at) >= 48 && text.charCodeAt(at) <= 57; at++, scale /= 10) fractionMs += (text.charCodeAt(at) - 48) * scale
    fractionMs = Math.floor(fractionMs + 1e-9) // microseconds are cut to the millisecond, as Date.parse did
  }
  const sign = text[at] === '-' ? -1 : text[at] === '+' ? 1 : 0
  let offsetSeconds = digitsAt(text, at + 1, 2) * 3600
  at += 3
  for (const unit of [60, 1]) {
    if (text[at] !== ':') break
    offsetSeconds += digitsAt(text, at + 1, 2) * unit
    at += 3
  }
  const bc = text.endsWith(' BC', at + 3) && at + 3 === text.length
  if (sign === 0 || (at !== text.length && !bc)) return Number.NaN
  const days = daysFromCivil(bc ? 1 - year : year, month, day)
  const ms = days * 86_400_000 + ((hour * 60 + minute) * 60 + second) * 1000 + fractionMs - sign * offsetSeconds * 1000
  return Math.abs(ms) <= MAX_DATE_MS ? ms : Number.NaN
}

/** Whether year-month-day hour:minute:second names a real time (Date.parse rolls 2030-02-30 over to March 2). */
export function isRealTime(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): boolean {
  const last = new Date(0)
  last.setUTCFullYear(year, month, 0) // day 0 of the next month: this month's last day (no 2-digit-year quirk)
  return month >= 1 && month <= 12 && day >= 1 && day <= last.getUTCDate() && hour <= 23 && minute <= 59 && second <= 59
}
