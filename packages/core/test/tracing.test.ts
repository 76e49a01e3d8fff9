// OpenTelemetry tracing, opted into with `tracing: { api }`: the enqueue span and the
// traceparent it leaves in the job's headers (this process), and the run spans of a worker in
// another process (test/fixtures/traced-worker.ts, its own provider), linked to it.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import * as otel from '@opentelemetry/api'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ConfigurationError, DuplicateJobError, InvalidJobError } from '../src/errors.js'
import { createProducer } from '../src/runtime/producer.js'
import { createQueue } from '../src/runtime/queue.js'
import { enableAsyncContext, inMemoryTracing, type SpanJson, spanJson } from './support/otel.js'
import { useQueueDatabase } from './support/queue-database.js'

const FIXTURE = fileURLToPath(new URL('./fixtures/traced-worker.ts', import.meta.url))
const { PRODUCER, CONSUMER } = otel.SpanKind

/** Runs the traced worker until the jobs are final; its finished spans. */
async function runInAnotherProcess(databaseUrl: string, ids: number[]): Promise<SpanJson[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, JSON.stringify({ databaseUrl, ids })], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk
  })
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  if (code !== 0) throw new Error(`the traced worker exited with ${code}: ${stderr}`)
  return JSON.parse(stdout) as SpanJson[]
}

const only = (spans: SpanJson[], name: string, attempt?: number) => {
  const found = spans.filter((s) => s.name === name && (attempt === undefined || s.attributes['pgq.job.attempt'] === attempt))
  expect(found, `${name} ${attempt ?? ''}`).toHaveLength(1)
  return found[0]!
}

const traceparentOf = (s: SpanJson) => `00-${s.traceId}-${s.spanId}-01`

describe('tracing', () => {
  const f = useQueueDatabase('tracing', 'node-postgres')
  beforeAll(() => enableAsyncContext())
  afterEach(() => otel.propagation.disable())

  it("records the enqueue span's traceparent in the jobs' headers; the run spans in another process link to it", async () => {
    await f.reset()
    const { exporter, tracer } = inMemoryTracing()
    const producer = createProducer({ driver: f.driver, tracing: { api: otel, tracer } })
    // Attempts and what follows them are stored with each job at enqueue, from the fleet policy.
    await producer.setEntrypointPolicy('flaky', { maxAttempts: 2 })
    await producer.setEntrypointPolicy('dropped', { onExhausted: 'delete' })
    const ids = await tracer.startActiveSpan('POST /signup', async (span) => {
      try {
        const ok = await producer.enqueue('ok', { user: 1 }, { headers: { origin: 'signup' } })
        const flaky = await producer.enqueue('flaky', null)
        return [ok, flaky, ...(await producer.enqueueMany([{ entrypoint: 'held', payload: null }, { entrypoint: 'dropped', payload: null }]))]
      } finally {
        span.end()
      }
    })
    const here = exporter.getFinishedSpans().map(spanJson)
    const request = only(here, 'POST /signup')
    const enqueueOk = only(here, 'pgq.enqueue ok')
    expect(enqueueOk).toMatchObject({
      kind: PRODUCER,
      traceId: request.traceId,
      parentSpanId: request.spanId,
      attributes: {
        'messaging.system': 'pgq',
        'messaging.operation.type': 'send',
        'messaging.destination.name': 'ok',
        'messaging.message.id': String(ids[0]),
        'pgq.entrypoint': 'ok',
        'pgq.job.id': ids[0],
      },
    })
    // One span for a batch of two entrypoints, its traceparent in both jobs.
    const batch = only(here, 'pgq.enqueue')
    expect(batch.attributes).toMatchObject({ 'messaging.batch.message_count': 2 })
    expect(batch.attributes['messaging.destination.name']).toBeUndefined()
    const headers = await Promise.all(ids.map(async (id) => (await producer.job(id))!.headers))
    expect(headers[0]).toEqual({ origin: 'signup', traceparent: traceparentOf(enqueueOk) })
    expect(headers[2]).toEqual({ traceparent: traceparentOf(batch) })
    expect(headers[3]).toEqual({ traceparent: traceparentOf(batch) })

    const there = await runInAnotherProcess(f.url, ids)
    const run = only(there, 'pgq.run ok')
    expect(run).toMatchObject({
      kind: CONSUMER,
      links: [{ traceId: enqueueOk.traceId, spanId: enqueueOk.spanId }],
      status: { code: otel.SpanStatusCode.UNSET },
      attributes: {
        'messaging.system': 'pgq',
        'messaging.operation.type': 'process',
        'messaging.destination.name': 'ok',
        'messaging.message.id': String(ids[0]),
        'pgq.entrypoint': 'ok',
        'pgq.job.id': ids[0],
        'pgq.job.attempt': 1,
        'pgq.job.outcome': 'succeeded',
      },
    })
    expect(run.traceId).not.toBe(enqueueOk.traceId) // runParent 'link': a trace of its own
    expect(run.events).toEqual([])
    // The handler ran inside the run span, across its awaits.
    expect(only(there, 'send welcome email')).toMatchObject({ traceId: run.traceId, parentSpanId: run.spanId })

    const [retried, retry] = [only(there, 'pgq.run flaky', 1), only(there, 'pgq.run flaky', 2)]
    expect(retried.attributes).toMatchObject({ 'pgq.job.outcome': 'retried', 'pgq.job.retry_delay_ms': 10 })
    expect(retried.status).toEqual({ code: otel.SpanStatusCode.ERROR, message: 'first attempt fails' })
    expect(retried.events.map((e) => e.attributes['exception.message'])).toEqual(['first attempt fails'])
    expect(retry.attributes['pgq.job.outcome']).toBe('succeeded')
    expect(retry.links).toEqual(retried.links)

    const held = only(there, 'pgq.run held')
    expect(held).toMatchObject({ links: [{ spanId: batch.spanId }], status: { code: otel.SpanStatusCode.ERROR, message: 'bad input' }, attributes: { 'pgq.job.outcome': 'held' } })
    expect(held.events).toHaveLength(1)
    expect(held.events[0]).toMatchObject({ name: 'exception', attributes: { 'exception.type': 'TypeError', 'exception.message': 'bad input' } })
    expect(held.events[0]!.attributes['exception.stacktrace']).toMatch(/^TypeError: bad input\n\s+at /)

    // A thrown non-Error is recorded as pgq's traceback names it.
    const dropped = only(there, 'pgq.run dropped')
    expect(dropped.attributes['pgq.job.outcome']).toBe('failed')
    expect(dropped.events[0]!.attributes).toMatchObject({ 'exception.type': 'NonError(string)', 'exception.message': 'a thrown string' })
    await producer.close()
  })

  it("runParent 'child' continues the enqueue's trace; the caller's own traceparent is kept; no option, no headers", async () => {
    await f.reset()
    const { exporter, tracer } = inMemoryTracing()
    const queue = createQueue({ driver: f.driver, tracing: { api: otel, tracer, runParent: 'child' } }).entrypoint('ok', async () => undefined)
    const id = await queue.enqueue('ok', null)
    const theirs = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
    const kept = await queue.enqueue('ok', null, { headers: { traceparent: theirs } })
    expect((await queue.job(kept))!.headers).toEqual({ traceparent: theirs })
    expect(await queue.drain()).toMatchObject({ succeeded: 2 })
    const spans = exporter.getFinishedSpans().map(spanJson)
    const enqueue = spans.find((s) => s.name === 'pgq.enqueue ok' && s.attributes['pgq.job.id'] === id)!
    const run = spans.find((s) => s.name === 'pgq.run ok' && s.attributes['pgq.job.id'] === id)!
    expect(run).toMatchObject({ traceId: enqueue.traceId, parentSpanId: enqueue.spanId, links: [{ spanId: enqueue.spanId }] })
    const runOfKept = spans.find((s) => s.name === 'pgq.run ok' && s.attributes['pgq.job.id'] === kept)!
    expect(runOfKept).toMatchObject({ traceId: '0af7651916cd43dd8448eb211c80319c', parentSpanId: 'b7ad6b7169203331' })

    const untraced = createProducer({ driver: f.driver })
    expect((await untraced.job(await untraced.enqueue('ok', null, { delay: '1h' })))!.headers).toBeNull()
    await queue.close()
  })

  it("uses the global propagator when it speaks W3C (its tracestate too), and only traceparent and tracestate", async () => {
    await f.reset()
    const { tracer } = inMemoryTracing()
    otel.propagation.setGlobalPropagator({
      fields: () => ['traceparent', 'tracestate', 'baggage'],
      inject: (context, carrier, setter) => {
        const sc = otel.trace.getSpanContext(context)!
        setter.set(carrier, 'traceparent', `00-${sc.traceId}-${sc.spanId}-01`)
        setter.set(carrier, 'tracestate', 'vendor=from-propagator')
        setter.set(carrier, 'baggage', 'user=1')
      },
      extract: (context) => context,
    })
    const producer = createProducer({ driver: f.driver, tracing: { api: otel, tracer } })
    const headers = (await producer.job(await producer.enqueue('ok', null)))!.headers!
    expect(Object.keys(headers).sort()).toEqual(['traceparent', 'tracestate'])
    expect(headers.tracestate).toBe('vendor=from-propagator')
  })

  it('refuses what it cannot enqueue as it would untraced, and marks the enqueue span failed', async () => {
    await f.reset()
    const { exporter, tracer } = inMemoryTracing()
    const producer = createProducer({ driver: f.driver, tracing: { api: otel, tracer } })
    await expect(producer.enqueue('ok', null, { headers: [] as never })).rejects.toMatchObject({ name: 'InvalidJobError', field: 'headers' })
    await expect(producer.enqueueMany('nope' as never)).rejects.toBeInstanceOf(InvalidJobError)
    await producer.enqueue('ok', null, { dedupeKey: 'once' })
    await expect(producer.enqueue('ok', null, { dedupeKey: 'once' })).rejects.toBeInstanceOf(DuplicateJobError)
    const failed = exporter.getFinishedSpans().map(spanJson).filter((s) => s.status.code === otel.SpanStatusCode.ERROR)
    expect(failed.map((s) => s.events[0]?.attributes['exception.type'])).toEqual(['InvalidJobError', 'DuplicateJobError'])
  })

  it('refuses a tracing option that is not { api, tracer?, runParent? } naming the field', () => {
    const make = (tracing: unknown) => () => createProducer({ driver: f.driver, tracing: tracing as never })
    expect(make({ api: {} })).toThrow(/tracing.api must be the OpenTelemetry API/)
    expect(make({ api: otel, tracer: {} })).toThrow(/tracing.tracer/)
    expect(make({ api: otel, runParent: 'parent' })).toThrow(/tracing.runParent must be 'link' or 'child'/)
    expect(make({ api: otel, sampler: 1 })).toThrow(ConfigurationError)
  })
})
