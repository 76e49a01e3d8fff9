import { ConfigurationError } from '../errors.js'
import { type Duration, toMs } from '../validation/duration.js'
import type { Failure, FailureAction, Job, Traceback } from '../types.js'
import { shown } from '../validation/shown.js'
import { storableText } from '../validation/text.js'

export interface RetryPolicy {
  /** Runs in all, the first included. 1 = never retry. Default 1. */
  maxAttempts?: number
  /** After the last attempt: keep the job as 'failed' (requeue later) or delete it. Default 'hold'. */
  onFailure?: 'hold' | 'delete'
  /** Delay before retry n (1-based): min(max, base * factor^(n-1)), with up to `jitter` of it random. Defaults 1 s, 2, 1 h, 0.1. */
  backoff?: Backoff
}

export interface Backoff {
  base?: Duration
  factor?: number
  max?: Duration
  jitter?: number
}

/** A backoff checked and in milliseconds. */
export interface BackoffMs {
  baseMs: number
  factor: number
  maxMs: number
  jitter: number
}

/**
 * The traceback of any thrown value; a non-Error still says what was thrown. Its text is made
 * storable: PostgreSQL's jsonb refuses U+0000 and unpaired surrogates, and one refused row
 * would fail the whole batch of results it is written with, again at every retry.
 */
export function tracebackOf(error: unknown, context: { attempt: number; workerId: string; entrypoint: string }): Traceback {
  if (error instanceof Error) {
    return { name: storable(error.name), message: storable(error.message), stack: error.stack == null ? null : storable(error.stack), ...context }
  }
  let message: string
  try {
    message = typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error))
  } catch {
    message = String(error)
  }
  return { name: `NonError(${error === null ? 'null' : typeof error})`, message: storable(message), stack: null, ...context }
}

const storable = (value: unknown) => storableText(String(value))

export function backoffDelayMs(retry: number, backoff: Backoff = {}, random = Math.random): number {
  const { baseMs, factor, maxMs, jitter } = checkBackoff(backoff)
  const delay = Math.min(maxMs, baseMs * factor ** (retry - 1))
  return Math.max(0, Math.round(delay * (1 - jitter * random())))
}

export function checkRetryPolicy(p: RetryPolicy): void {
  const max = p.maxAttempts ?? 1
  if (!Number.isInteger(max) || max < 1 || max > 2 ** 31 - 1) throw new ConfigurationError(`maxAttempts must be an integer from 1 to 2147483647, got ${shown(max)}`)
  if (p.onFailure !== undefined && p.onFailure !== 'hold' && p.onFailure !== 'delete') {
    throw new ConfigurationError(`onFailure must be 'hold' or 'delete', got ${shown(p.onFailure)}`)
  }
  checkBackoff(p.backoff ?? {})
}

const BACKOFF_FIELDS = ['base', 'factor', 'max', 'jitter']

export function checkBackoff(b: Backoff): BackoffMs {
  if (typeof b !== 'object' || b === null) throw new ConfigurationError('backoff must be an object { base?, factor?, max?, jitter? }')
  for (const key of Object.keys(b)) {
    if (!BACKOFF_FIELDS.includes(key)) throw new ConfigurationError(`unknown backoff field ${JSON.stringify(key.slice(0, 64))}; known: ${BACKOFF_FIELDS.join(', ')}`)
  }
  const factor = b.factor ?? 2
  const jitter = b.jitter ?? 0.1
  if (typeof factor !== 'number' || !Number.isFinite(factor) || factor < 0) throw new ConfigurationError('backoff.factor must be a finite number >= 0')
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) throw new ConfigurationError('backoff.jitter must be between 0 and 1')
  return { baseMs: toMs(b.base ?? 1000, 'backoff.base'), factor, maxMs: toMs(b.max ?? 3_600_000, 'backoff.max'), jitter }
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
  backoff: Backoff = {},
  final = false,
): Failure {
  const action: FailureAction =
    !final && job.attempts < job.maxAttempts ? { kind: 'retry', delayMs: backoffDelayMs(job.attempts, backoff) } : { kind: job.onExhausted }
  return { id: job.id, action, traceback: tracebackOf(error, { attempt: job.attempts, workerId, entrypoint: job.entrypoint }) }
}
