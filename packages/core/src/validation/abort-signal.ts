import { ConfigurationError } from '../errors.js'

/** An option that must be an AbortSignal: anything else would fail later as a TypeError. */
export function checkAbortSignal(signal: unknown, field = 'signal'): void {
  if (signal !== undefined && typeof (signal as { addEventListener?: unknown } | null)?.addEventListener !== 'function') {
    throw new ConfigurationError(`${field} must be an AbortSignal (e.g. AbortController().signal, or AbortSignal.timeout(ms))`)
  }
}
