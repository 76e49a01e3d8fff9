// W3C Trace Context's traceparent header (https://www.w3.org/TR/trace-context/), written and
// read by pgq itself where no propagator is set: the run span links to the enqueue's span
// through it, whichever process enqueued.

export interface TraceParent {
  traceId: string
  spanId: string
  traceFlags: number
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/
const ZERO_TRACE_ID = '0'.repeat(32)
const ZERO_SPAN_ID = '0'.repeat(16)

/** Whether a span context names a real span (the no-op tracer's is all zeros). */
export function isValidTraceParent({ traceId, spanId }: { traceId: string; spanId: string }): boolean {
  return /^[0-9a-f]{32}$/.test(traceId) && /^[0-9a-f]{16}$/.test(spanId) && traceId !== ZERO_TRACE_ID && spanId !== ZERO_SPAN_ID
}

/** The version-00 header of a span context. */
export function formatTraceparent({ traceId, spanId, traceFlags }: TraceParent): string {
  return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}`
}

/**
 * A traceparent header's span context, or undefined when it is not one: version ff, all-zero
 * ids, or extra fields on version 00 are invalid; a later version's extra fields are ignored.
 */
export function parseTraceparent(header: unknown): TraceParent | undefined {
  if (typeof header !== 'string') return undefined
  const m = TRACEPARENT.exec(header.trim())
  if (!m) return undefined
  const [, version, traceId, spanId, flags, rest] = m
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined
  if (traceId === ZERO_TRACE_ID || spanId === ZERO_SPAN_ID) return undefined
  return { traceId: traceId!, spanId: spanId!, traceFlags: Number.parseInt(flags!, 16) }
}
