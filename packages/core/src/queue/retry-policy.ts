import { ConfigurationError } from '../errors.js'
import type { Failure, FailureAction, Job, Traceback } from '../types.js'

export interface RetryPolicy {
  /** Runs in all, the first included. 1 = never retry. Default 1. */
  maxAttempts?: number
  /** After the last attempt: keep the job as 'failed' (requeue later) or delete it. Default 'hold'. */
  onFailure?: 'hold' | 'delete'
  /** Delay before retry n (1-based): min(maxMs, baseMs * factor^(n-1)), with up to `jitter` of it random. */
  backoff?: { baseMs?: number; factor?: number; maxMs?: number; jitter?: number }
}

/** The traceback of any thrown value; a non-Error still says what was thrown. */
export function tracebackOf(error: unknown, context: { attempt: number; workerId: string; entrypoint: string }): Traceback {
  if (error instanceof Error) {
    return { name: error.name, message: error.message, stack: error.stack ?? null, ...context }
  }
  let message: string
  try {
    message = typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error))
  } catch {
    message = String(error)
  }
  return { name: `NonError(${error === null ? 'null' : typeof error})`, message, stack: null, ...context }
}

export function backoffDelayMs(retry: number, backoff: RetryPolicy['backoff'] = {}, random = Math.random): number {
  const { baseMs = 1000, factor = 2, maxMs = 3_600_000, jitter = 0.1 } = backoff
  const delay = Math.min(maxMs, baseMs * factor ** (retry - 1))
  return Math.max(0, Math.round(delay * (1 - jitter * random())))
}

export function checkRetryPolicy(p: RetryPolicy): void {
  const max = p.maxAttempts ?? 1
  if (!Number.isInteger(max) || max < 1 || max > 2 ** 31 - 1) throw new ConfigurationError(`maxAttempts must be an integer from 1 to 2147483647, got ${max}`)
  if (p.onFailure !== undefined && p.onFailure !== 'hold' && p.onFailure !== 'delete') {
    throw new ConfigurationError(`onFailure must be 'hold' or 'delete', got ${JSON.stringify(p.onFailure)}`)
  }
  const b = p.backoff ?? {}
  for (const [k, v] of Object.entries(b)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ConfigurationError(`backoff.${k} must be a finite number >= 0`)
  }
  if ((b.jitter ?? 0) > 1) throw new ConfigurationError('backoff.jitter must be between 0 and 1')
}

/**
 * Decides what happens to a job whose handler threw, from the attempts stored on it (counted
 * at claim, rescues included): retry with backoff while some are left, else its onExhausted.
 * `final`: no retry can help (a payload its schema rejects).
 */
export function failureOf(
  job: Pick<Job, 'id' | 'attempts' | 'maxAttempts' | 'onExhausted' | 'entrypoint'>,
  error: unknown,
  workerId: string,
  backoff: RetryPolicy['backoff'] = {},
  final = false,
): Failure {
  const action: FailureAction =
    !final && job.attempts < job.maxAttempts ? { kind: 'retry', delayMs: backoffDelayMs(job.attempts, backoff) } : { kind: job.onExhausted }
  return { id: job.id, action, traceback: tracebackOf(error, { attempt: job.attempts, workerId, entrypoint: job.entrypoint }) }
}
