// OpenTelemetry traces, opted into with `tracing: { api }` on a queue or producer: an enqueue
// is a PRODUCER span whose traceparent goes into each job's headers; a run is a CONSUMER span
// linked to it (or its child), in whose context the handler runs. Without the option nothing
// here runs: the enqueue and run paths check one undefined field.
import { ConfigurationError } from '../errors.js'
import { checkOptionNames } from '../validation/option-names.js'
import type { Job, JobId, Traceback } from '../types.js'
import { MAX_ENTRYPOINT_LENGTH } from '../validation/entrypoint-names.js'
import type { NewJob } from '../validation/job-input.js'
import type { OtelApi, OtelAttributes, OtelContext, OtelLink, OtelSpan, OtelTracer } from './otel-api.js'
import { formatTraceparent, isValidTraceParent, parseTraceparent } from './trace-context.js'

export interface TracingOptions {
  /** The OpenTelemetry API: `import * as otel from '@opentelemetry/api'`. */
  api: OtelApi
  /** Default api.trace.getTracer('@pgq/core'): the global tracer provider's. */
  tracer?: OtelTracer
  /**
   * 'link' (default): a run's span belongs to the trace active where it runs (usually a new
   * one) and links to its enqueue's span. 'child': it continues the enqueue's trace as a
   * child of the enqueue span (and links to it too): one trace from request to last attempt.
   */
  runParent?: 'link' | 'child'
}

/** How a run ended: pgq.job.outcome on its span; the first four are also the run histogram's outcome label. */
export type RunOutcome = 'succeeded' | 'retried' | 'held' | 'failed' | 'canceled' | 'lost' | 'abandoned'

export interface RunSpan {
  /** Runs fn (the handler) with the run span active. */
  within<T>(fn: () => T): T
  /** Ends the span once; a failed attempt records its exception and status ERROR. */
  end(outcome: RunOutcome, failure?: { error: unknown; traceback: Traceback; retryDelayMs?: number }): void
}

export interface Tracing {
  /** Runs insert inside an enqueue span, each job's headers carrying its traceparent. */
  enqueue(jobs: readonly NewJob[], insert: (jobs: readonly NewJob[]) => Promise<(JobId | null)[]>): Promise<(JobId | null)[]>
  startRun(job: Job, workerId: string): RunSpan
}

const TRACING_OPTIONS = ['api', 'tracer', 'runParent']

/** The checked option, or undefined without one. */
export function createTracing(options: TracingOptions | undefined): Tracing | undefined {
  if (options === undefined) return undefined
  checkOptionNames(options, TRACING_OPTIONS, 'tracing')
  const { api, tracer: given, runParent = 'link' } = options
  const isApi = typeof api?.trace?.setSpan === 'function' && typeof api.context?.with === 'function' && typeof api.propagation?.inject === 'function'
  if (!isApi) throw new ConfigurationError("tracing.api must be the OpenTelemetry API: import * as otel from '@opentelemetry/api', then tracing: { api: otel }")
  if (given !== undefined && typeof given?.startSpan !== 'function') throw new ConfigurationError('tracing.tracer must be an OpenTelemetry Tracer (api.trace.getTracer(name))')
  if (runParent !== 'link' && runParent !== 'child') throw new ConfigurationError(`tracing.runParent must be 'link' or 'child', got ${JSON.stringify(runParent)}`)
  const tracer = given ?? api.trace.getTracer('@pgq/core')

  function fail(span: OtelSpan, error: unknown, traceback?: Traceback): void {
    // Name, message and stack only: given the Error itself, the SDK would take a `code` (pgq's errors have one) for its type.
    const exception = error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : traceback ? { name: traceback.name, message: traceback.message } : String(error)
    span.recordException(exception)
    span.setStatus({ code: api.SpanStatusCode.ERROR, message: error instanceof Error ? error.message : (traceback?.message ?? String(error)) })
  }

  /** traceparent (and tracestate) of the enqueue span: by the global propagator when it speaks W3C, else written here. */
  function traceHeaders(ctx: OtelContext, span: OtelSpan): Record<string, string> | undefined {
    const sc = span.spanContext()
    if (!isValidTraceParent(sc)) return undefined
    if (api.propagation.fields().includes('traceparent')) {
      const carrier: Record<string, string> = {}
      api.propagation.inject(ctx, carrier)
      if (typeof carrier.traceparent === 'string') return pick(carrier.traceparent, carrier.tracestate)
    }
    return pick(formatTraceparent(sc), sc.traceState?.serialize())
  }

  return {
    async enqueue(jobs, insert) {
      if (!Array.isArray(jobs) || jobs.length === 0) return insert(jobs) // validation refuses it, untraced
      const entrypoint = commonEntrypoint(jobs)
      const attributes: OtelAttributes = { 'messaging.system': 'pgq', 'messaging.operation.type': 'send', 'messaging.operation.name': 'enqueue' }
      if (entrypoint !== undefined) Object.assign(attributes, { 'messaging.destination.name': entrypoint, 'pgq.entrypoint': entrypoint })
      if (jobs.length > 1) attributes['messaging.batch.message_count'] = jobs.length
      const parent = api.context.active()
      const span = tracer.startSpan(entrypoint === undefined ? 'pgq.enqueue' : `pgq.enqueue ${entrypoint}`, { kind: api.SpanKind.PRODUCER, attributes }, parent)
      const ctx = api.trace.setSpan(parent, span)
      const headers = traceHeaders(ctx, span)
      try {
        const ids = await api.context.with(ctx, () => insert(headers ? jobs.map((job) => withHeaders(job, headers)) : jobs))
        if (ids.length === 1) {
          const id = ids[0]
          if (id == null) span.setAttribute('pgq.job.deduplicated', true)
          else span.setAttributes({ 'messaging.message.id': String(id), 'pgq.job.id': id })
        }
        return ids
      } catch (error) {
        fail(span, error)
        throw error
      } finally {
        span.end()
      }
    },

    startRun(job, workerId) {
      const remote = parseTraceparent(job.headers?.traceparent)
      const state = job.headers?.tracestate
      const enqueued = remote && { ...remote, isRemote: true, traceState: typeof state === 'string' ? api.createTraceState?.(state) : undefined }
      const links: OtelLink[] | undefined = enqueued ? [{ context: enqueued }] : undefined
      const active = api.context.active()
      const parent = enqueued && runParent === 'child' ? api.trace.setSpanContext(active, enqueued) : active
      const attributes: OtelAttributes = {
        'messaging.system': 'pgq',
        'messaging.operation.type': 'process',
        'messaging.operation.name': 'run',
        'messaging.destination.name': job.entrypoint,
        'messaging.message.id': String(job.id),
        'messaging.client.id': workerId,
        'pgq.entrypoint': job.entrypoint,
        'pgq.job.id': job.id,
        'pgq.job.attempt': job.attempts,
        'pgq.job.max_attempts': job.maxAttempts,
      }
      const span = tracer.startSpan(`pgq.run ${job.entrypoint}`, { kind: api.SpanKind.CONSUMER, attributes, links }, parent)
      const ctx = api.trace.setSpan(parent, span)
      let ended = false
      return {
        within: (fn) => api.context.with(ctx, fn),
        end(outcome, failure) {
          if (ended) return
          ended = true
          span.setAttribute('pgq.job.outcome', outcome)
          if (failure) {
            if (failure.retryDelayMs !== undefined) span.setAttribute('pgq.job.retry_delay_ms', failure.retryDelayMs)
            fail(span, failure.error, failure.traceback)
          }
          span.end()
        },
      }
    },
  }
}

function pick(traceparent: string, tracestate: string | undefined): Record<string, string> {
  return tracestate ? { traceparent, tracestate } : { traceparent }
}

/** The one entrypoint of the batch, or undefined (several, or not yet validated as names). */
function commonEntrypoint(jobs: readonly NewJob[]): string | undefined {
  const first = (jobs[0] as NewJob | undefined)?.entrypoint
  if (typeof first !== 'string' || first.length === 0 || first.length > MAX_ENTRYPOINT_LENGTH) return undefined
  for (const job of jobs) if ((job as NewJob | undefined)?.entrypoint !== first) return undefined
  return first
}

/**
 * The job with the trace headers added to the caller's own. Headers that are not a plain
 * object, and what is not a job, are left for validation to refuse.
 */
function withHeaders(job: NewJob, trace: Record<string, string>): NewJob {
  if (typeof job !== 'object' || job === null || Array.isArray(job)) return job
  const { headers } = job
  if (headers === undefined) return { ...job, headers: trace }
  const proto = typeof headers === 'object' && headers !== null ? Object.getPrototypeOf(headers) : undefined
  if (proto !== Object.prototype && proto !== null) return job
  // A traceparent of the caller's (a message it forwards) stays, without a tracestate of ours.
  if (Object.hasOwn(headers, 'traceparent')) return job
  return { ...job, headers: { ...trace, ...headers } }
}
