// The part of @opentelemetry/api that pgq calls, as structural types: the caller passes the
// API itself (`import * as otel from '@opentelemetry/api'`), so pgq imports nothing of it and
// its declarations need none of its types. Methods, not function properties, so that the
// real API (whose parameters are narrower) is assignable.

/** An OpenTelemetry Context: opaque to pgq. */
export interface OtelContext {
  getValue(key: symbol): unknown
}

export type OtelAttributeValue = string | number | boolean | string[] | number[] | boolean[]
export type OtelAttributes = Record<string, OtelAttributeValue | undefined>

export interface OtelTraceState {
  set(key: string, value: string): OtelTraceState
  unset(key: string): OtelTraceState
  get(key: string): string | undefined
  serialize(): string
}

export interface OtelSpanContext {
  traceId: string
  spanId: string
  traceFlags: number
  isRemote?: boolean
  traceState?: OtelTraceState
}

export interface OtelLink {
  context: OtelSpanContext
  attributes?: OtelAttributes
}

export interface OtelSpanOptions {
  kind?: number
  attributes?: OtelAttributes
  links?: OtelLink[]
  root?: boolean
}

export interface OtelSpan {
  spanContext(): OtelSpanContext
  setAttribute(key: string, value: OtelAttributeValue): unknown
  setAttributes(attributes: OtelAttributes): unknown
  setStatus(status: { code: number; message?: string }): unknown
  recordException(exception: Error | { name?: string; message?: string; stack?: string } | string): void
  end(): void
}

export interface OtelTracer {
  startSpan(name: string, options?: OtelSpanOptions, context?: OtelContext): OtelSpan
}

/** `import * as otel from '@opentelemetry/api'` (1.x) fits. */
export interface OtelApi {
  trace: {
    getTracer(name: string, version?: string): OtelTracer
    setSpan(context: OtelContext, span: OtelSpan): OtelContext
    setSpanContext(context: OtelContext, spanContext: OtelSpanContext): OtelContext
  }
  context: {
    active(): OtelContext
    with<T>(context: OtelContext, fn: () => T): T
  }
  propagation: {
    fields(): string[]
    inject(context: OtelContext, carrier: Record<string, string>): void
  }
  ROOT_CONTEXT: OtelContext
  SpanKind: { PRODUCER: number; CONSUMER: number }
  SpanStatusCode: { ERROR: number }
  /** Parses a tracestate header (the api has it since 1.1). */
  createTraceState?(raw?: string): OtelTraceState
}
