// OpenTelemetry for the tracing tests: an in-memory tracer provider, an AsyncLocalStorage
// context manager (what @opentelemetry/context-async-hooks does, in a few lines, since only
// the api and sdk-trace-base are installed), and finished spans as plain JSON, so that a
// child process can hand its spans to the test.
import { AsyncLocalStorage } from 'node:async_hooks'
import * as otel from '@opentelemetry/api'
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'

class AsyncLocalStorageContextManager implements otel.ContextManager {
  readonly #storage = new AsyncLocalStorage<otel.Context>()
  active(): otel.Context {
    return this.#storage.getStore() ?? otel.ROOT_CONTEXT
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(context: otel.Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.#storage.run(context, () => fn.apply(thisArg, args))
  }
  bind<T>(context: otel.Context, target: T): T {
    if (typeof target !== 'function') return target
    return ((...args: unknown[]) => this.with(context, target as (...a: unknown[]) => unknown, undefined, ...args)) as T
  }
  enable(): this {
    return this
  }
  disable(): this {
    this.#storage.disable()
    return this
  }
}

/** Makes context.active() follow async calls in this process (once). */
export function enableAsyncContext(): void {
  otel.context.setGlobalContextManager(new AsyncLocalStorageContextManager())
}

/** A provider whose spans land in memory as they end. */
export function inMemoryTracing() {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  return { exporter, provider, tracer: provider.getTracer('pgq-test') }
}

/** What the tests look at of a finished span. */
export interface SpanJson {
  name: string
  kind: number
  traceId: string
  spanId: string
  parentSpanId: string | undefined
  attributes: Record<string, unknown>
  links: { traceId: string; spanId: string }[]
  status: { code: number; message?: string }
  events: { name: string; attributes: Record<string, unknown> }[]
}

export function spanJson(span: ReadableSpan): SpanJson {
  const { traceId, spanId } = span.spanContext()
  return {
    name: span.name,
    kind: span.kind,
    traceId,
    spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    attributes: { ...span.attributes },
    links: span.links.map((l) => ({ traceId: l.context.traceId, spanId: l.context.spanId })),
    status: { ...span.status },
    events: span.events.map((e) => ({ name: e.name, attributes: { ...e.attributes } })),
  }
}
