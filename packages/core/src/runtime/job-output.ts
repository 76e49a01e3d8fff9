import { ConfigurationError, PgqError } from '../errors.js'
import { type JsonIssue, jsonText, MAX_JSON_LENGTH } from '../validation/json-value.js'

/** Largest result stored unless an entrypoint says otherwise (EntrypointOptions.maxResultBytes). */
export const DEFAULT_MAX_RESULT_BYTES = 64 * 1024
/** Largest result an entrypoint may allow: a log row is no place for more. */
export const MAX_RESULT_BYTES_LIMIT = MAX_JSON_LENGTH
/** Largest ctx.progress() value: it is rewritten on every heartbeat and read by every waiter's poll. */
export const MAX_PROGRESS_BYTES = 4 * 1024

/** ctx.progress() got something that is not small JSON; nothing was recorded. Names the field, never the value. */
export class InvalidProgressError extends PgqError {
  /** The offending place, e.g. 'progress' or 'progress.step'. */
  readonly field: string
  constructor(message: string, field: string) {
    super('PGQ_INVALID_PROGRESS', message)
    this.field = field
  }
}

export function checkMaxResultBytes(value: number | undefined, entrypoint: string): number {
  if (value === undefined) return DEFAULT_MAX_RESULT_BYTES
  if (!Number.isInteger(value) || value < 1 || value > MAX_RESULT_BYTES_LIMIT) {
    throw new ConfigurationError(`entrypoint ${JSON.stringify(entrypoint)}: maxResultBytes must be an integer from 1 to ${MAX_RESULT_BYTES_LIMIT}, got ${value}`)
  }
  return value
}

/**
 * The JSON text to store for what a handler returned, or why it is not stored: not JSON
 * that survives the round trip, or more than `maxBytes` of UTF-8.
 */
export function resultText(value: unknown, maxBytes: number): string | JsonIssue {
  const text = jsonText(value, 'result')
  if (typeof text !== 'string') return text
  const bytes = bytesOver(text, maxBytes)
  return bytes === undefined ? text : { field: 'result', message: `result is ${bytes} bytes of JSON, more than maxResultBytes (${maxBytes})` }
}

/** The JSON text of a ctx.progress() value; throws InvalidProgressError for anything else. */
export function progressText(value: unknown): string {
  // Most progress is a number: no walk, no stringify.
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  const text = jsonText(value, 'progress')
  if (typeof text !== 'string') throw new InvalidProgressError(`ctx.progress(): ${text.message}`, text.field)
  const bytes = bytesOver(text, MAX_PROGRESS_BYTES)
  if (bytes !== undefined) {
    throw new InvalidProgressError(`ctx.progress(): progress is ${bytes} bytes of JSON, more than ${MAX_PROGRESS_BYTES} (MAX_PROGRESS_BYTES); report a number or a small object`, 'progress')
  }
  return text
}

const encoder = new TextEncoder()

/** The UTF-8 length of `text` when it is more than `limit` bytes, else undefined. */
function bytesOver(text: string, limit: number): number | undefined {
  // A UTF-16 unit is 1 to 3 bytes of UTF-8: only a text near the limit needs counting.
  if (text.length * 3 <= limit) return undefined
  const bytes = encoder.encode(text).length
  return bytes > limit ? bytes : undefined
}
