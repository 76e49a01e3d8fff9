// Query and form values, bounded: anything else is a 400 page naming the parameter.
import type { JobId } from '@pgq/core/edge'
import { MAX_DEDUPE_KEY_LENGTH, MAX_ENTRYPOINT_LENGTH, parseDuration } from '@pgq/core/edge'
import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { textProblem } from '../values.js'

export const MINUTE = 60_000
export const HOUR = 60 * MINUTE
export const DAY = 24 * HOUR
/** failures()'s limit on rows. */
export const MAX_IDS = 1000

export function badParam(name: string, message: string): HTTPException {
  return new HTTPException(400, { message: `${name} ${message}` })
}

/** A POST's form, or a 400 page when its body cannot be read as one (malformed multipart, a body cut off). */
export async function formOf(c: Context): Promise<Record<string, string | File | (string | File)[]>> {
  try {
    return await c.req.parseBody({ all: true })
  } catch {
    throw new HTTPException(400, { message: 'The form could not be read: send it from the page, as a browser does.' })
  }
}

/** A duration such as 15m, 6h or 7d (or milliseconds) from `min` to `max`. */
export function durationParam(name: string, value: string | undefined, bounds: { min: number; max: number; fallback?: number }): number | undefined {
  if (value === undefined || value === '') return bounds.fallback
  const ms = parseDuration(value)
  if (ms === undefined) throw badParam(name, "must be a duration such as '15m', '6h' or '7d'")
  if (ms < bounds.min || ms > bounds.max) throw badParam(name, `must be from ${formatSpan(bounds.min)} to ${formatSpan(bounds.max)}`)
  return ms
}

export function integerParam(name: string, value: string | undefined, bounds: { min: number; max: number; fallback: number }): number {
  if (value === undefined || value === '') return bounds.fallback
  const n = /^\d{1,16}$/.test(value) ? Number(value) : Number.NaN
  if (!Number.isSafeInteger(n) || n < bounds.min || n > bounds.max) throw badParam(name, `must be an integer from ${bounds.min} to ${bounds.max}`)
  return n
}

export function jobIdParam(name: string, value: string): JobId {
  const n = /^\d{1,16}$/.test(value) ? Number(value) : Number.NaN
  if (!Number.isSafeInteger(n) || n < 1) throw badParam(name, 'must be a job id: a positive integer')
  return n
}

export function oneOf<const T extends string>(name: string, value: string | undefined, choices: readonly T[], fallback: T): T {
  if (value === undefined || value === '') return fallback
  if (!(choices as readonly string[]).includes(value)) throw badParam(name, `must be one of ${choices.join(', ')}`)
  return value as T
}

function textParam(name: string, value: string, max: number): string {
  if (value.length > max) throw badParam(name, `must be at most ${max} characters`)
  const problem = textProblem(value)
  if (problem) throw badParam(name, problem)
  return value
}

export const entrypointParam = (name: string, value: string) => textParam(name, value, MAX_ENTRYPOINT_LENGTH)
export const dedupeKeyParam = (name: string, value: string) => textParam(name, value, MAX_DEDUPE_KEY_LENGTH)

/** A form field that must be there once, as text. */
export function formText(form: Record<string, unknown>, name: string): string {
  const value = form[name]
  if (typeof value !== 'string' || value === '') throw badParam(name, 'is required')
  return value
}

/** Every value of a repeated form field, as job ids (1 to MAX_IDS of them). */
export function formIds(form: Record<string, unknown>, name: string): JobId[] {
  const raw = form[name]
  const values = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]
  if (values.length === 0) throw badParam(name, 'must list at least one job id')
  if (values.length > MAX_IDS) throw badParam(name, `must list at most ${MAX_IDS} job ids`)
  return values.map((v) => jobIdParam(name, typeof v === 'string' ? v : ''))
}

/** 90000 → '1.5m', 7200000 → '2h': for messages and labels. */
export function formatSpan(ms: number): string {
  for (const [unit, size] of [['d', DAY], ['h', HOUR], ['m', MINUTE], ['s', 1000]] as const) {
    if (ms >= size) return `${Number((ms / size).toFixed(1))}${unit}`
  }
  return `${ms}ms`
}
