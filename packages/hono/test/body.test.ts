// The body before validation: its media type, its encoding, its syntax, its size; and the
// order of checks (token, then size, then parsing).
import { describe, expect, it, vi } from 'vitest'
import { createQueueApi } from '../src/index.js'
import { bearer, testQueue, useAppDatabase } from './support.js'

const fixture = useAppDatabase('hono_body')

const MiB = 1024 * 1024

/** A body of `total` bytes of JSON whitespace, pulled chunk by chunk; `pulled` counts what was read. */
function countingStream(total: number, chunkBytes = 64 * 1024) {
  const chunk = new Uint8Array(chunkBytes).fill(0x20)
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (counter.pulled >= total) return controller.close()
      counter.pulled += chunk.length
      controller.enqueue(chunk)
    },
  }, { highWaterMark: 0 })
  const counter = { pulled: 0, stream }
  return counter
}

/** A POST with the token; `duplex` lets `body` be a stream. */
const send = (app: { request: (path: string, init: RequestInit) => Response | Promise<Response> }, path: string, init: { body?: BodyInit; headers?: Record<string, string> }) =>
  app.request(path, { method: 'POST', ...init, headers: { ...bearer('t'), ...init.headers }, duplex: 'half' } as RequestInit)

describe('media type', () => {
  it('answers 415 asking for application/json when the Content-Type is missing or another', async () => {
    const app = createQueueApi({ queue: testQueue(fixture.driver), token: 't' })
    const body = '{"entrypoint":"ok"}'
    for (const [path, type] of [
      ['/jobs', undefined],
      ['/jobs', 'text/plain'],
      ['/jobs', 'application/x-www-form-urlencoded'],
      ['/jobs', 'application/json; charset=latin1'],
      ['/jobs', 'application/jsonx'],
      ['/jobs/requeue', undefined],
      ['/drain', 'text/plain'],
      ['/drain', undefined], // a body without a type is not JSON, even where none may be sent
    ] as const) {
      const res = await send(app, path, { body, headers: type ? { 'content-type': type } : {} })
      expect(res.status, `${path} ${type}`).toBe(415)
      expect(await res.json()).toEqual({ error: 'unsupported_media_type', message: expect.stringContaining('application/json') })
    }
  })

  it('takes application/json with a UTF-8 charset, in any case', async () => {
    const app = createQueueApi({ queue: testQueue(fixture.driver), token: 't' })
    for (const type of ['application/json', 'Application/JSON; charset=UTF-8', 'application/json;charset="utf-8"']) {
      expect((await send(app, '/jobs', { body: '{"entrypoint":"ok"}', headers: { 'content-type': type } })).status, type).toBe(201)
    }
  })

  it('drains on a POST /drain with no body at all, as before, with or without the JSON Content-Type', async () => {
    const app = createQueueApi({ queue: testQueue(fixture.driver), token: 't' })
    // Before, the JSON Content-Type with no body was a 400 ("the body is empty").
    for (const headers of [{}, { 'content-type': 'application/json' }] as Record<string, string>[]) {
      const res = await send(app, '/drain', { headers })
      expect(res.status, JSON.stringify(headers)).toBe(200)
      expect(await res.json()).toMatchObject({ stoppedBy: 'empty' })
    }
    expect((await send(app, '/jobs', { headers: { 'content-type': 'application/json' } })).status).toBe(400)
  })
})

describe('syntax and encoding', () => {
  it('answers 400, not 500, for bodies that are not JSON or not UTF-8', async () => {
    const app = createQueueApi({ queue: testQueue(fixture.driver), token: 't' })
    const json = { 'content-type': 'application/json' }
    const cases: [string, BodyInit][] = [
      ['truncated', '{"entrypoint": '],
      ['trailing garbage', '{"entrypoint":"ok"} x'],
      ['NaN', '{"entrypoint":"ok","payload":NaN}'],
      ['single quotes', "{'entrypoint':'ok'}"],
      ['empty', ''],
      ['only whitespace', '  \n '],
      ['not UTF-8', new Uint8Array([...new TextEncoder().encode('{"entrypoint":"ok","payload":"'), 0xff, 0xfe, 0x22, 0x7d])],
      ['an encoded surrogate (CESU-8)', new Uint8Array([...new TextEncoder().encode('{"entrypoint":"ok","payload":"'), 0xed, 0xa0, 0x80, 0x22, 0x7d])],
    ]
    for (const path of ['/jobs', '/jobs/requeue', '/drain']) {
      for (const [what, body] of cases) {
        if (path === '/drain' && what === 'empty') continue // no body at all: /drain takes that as {}
        const res = await send(app, path, { body, headers: json })
        expect(res.status, `${path}: ${what}`).toBe(400)
        expect(await res.json()).toEqual({ error: 'invalid_request', issues: [{ path: '', message: expect.any(String) }] })
      }
    }
  })
})

describe('body limit', () => {
  it('answers 400, logging nothing, when the client breaks off a streamed body', async () => {
    const app = createQueueApi({ queue: testQueue(fixture.driver), token: 't' })
    let sent = 0
    const broken = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ === 0) controller.enqueue(new TextEncoder().encode('{"entrypoint":'))
        else controller.error(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })) // as Node's request stream errs on a reset
      },
    })
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    try {
      const res = await send(app, '/jobs', { body: broken, headers: { 'content-type': 'application/json' } })
      expect(res.status).toBe(400)
      expect(await res.json()).toEqual({ error: 'invalid_request', issues: [{ path: '', message: 'the body was cut off before its end' }] })
      expect(errors).not.toHaveBeenCalled()
    } finally {
      errors.mockRestore()
    }
  })

  it('answers 413 for a Content-Length over the limit without reading the body', async () => {
    const app = createQueueApi({ queue: testQueue(fixture.driver), token: 't' })
    const body = countingStream(100 * MiB)
    const res = await send(app, '/jobs', { body: body.stream, headers: { 'content-type': 'application/json', 'content-length': String(100 * MiB) } })
    expect(res.status).toBe(413)
    expect(await res.json()).toEqual({ error: 'payload_too_large', message: 'the body must be at most 1048576 bytes' })
    expect(body.pulled).toBe(0)
  })

  it('answers 413 for a streamed body (no Content-Length) once it passes the limit, reading no further', async () => {
    const app = createQueueApi({ queue: testQueue(fixture.driver), token: 't' })
    for (const path of ['/jobs', '/jobs/requeue', '/drain', '/jobs/1/cancel']) {
      const body = countingStream(100 * MiB)
      const res = await send(app, path, { body: body.stream, headers: { 'content-type': 'application/json' } })
      expect(res.status, path).toBe(413)
      expect(body.pulled, path).toBeGreaterThan(MiB)
      expect(body.pulled, path).toBeLessThanOrEqual(MiB + 64 * 1024)
    }
  })

  it('takes a body of exactly the limit, and the limit is configurable', async () => {
    const app = createQueueApi({ queue: testQueue(fixture.driver), token: 't', maxBodyBytes: 100 })
    const job = '{"entrypoint":"ok"}'
    const exactly = job.padEnd(100, ' ')
    expect((await send(app, '/jobs', { body: exactly, headers: { 'content-type': 'application/json', 'content-length': '100' } })).status).toBe(201)
    const over = `${exactly} `
    expect((await send(app, '/jobs', { body: over, headers: { 'content-type': 'application/json', 'content-length': '101' } })).status).toBe(413)
    const streamed = countingStream(101, 101)
    expect((await send(app, '/jobs', { body: streamed.stream, headers: { 'content-type': 'application/json' } })).status).toBe(413)
    // The default is 1 MiB: a 2 MiB body passes a larger limit.
    const roomy = createQueueApi({ queue: testQueue(fixture.driver), token: 't', maxBodyBytes: 4 * MiB })
    const big = JSON.stringify([0, 1, 2].map(() => ({ entrypoint: 'ok', payload: 'x'.repeat(0.7 * MiB) })))
    expect((await send(roomy, '/jobs', { body: big, headers: { 'content-type': 'application/json' } })).status).toBe(201)
    expect((await send(createQueueApi({ queue: testQueue(fixture.driver), token: 't' }), '/jobs', { body: big, headers: { 'content-type': 'application/json' } })).status).toBe(413)
  })

  it('refuses a limit that is not a positive integer', () => {
    for (const maxBodyBytes of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => createQueueApi({ queue: testQueue(fixture.driver), token: 't', maxBodyBytes }), String(maxBodyBytes)).toThrow(/maxBodyBytes/)
    }
  })

  it('checks the token before reading a byte of the body, and /healthz needs neither', async () => {
    const app = createQueueApi({ queue: testQueue(fixture.driver), token: 't' })
    for (const authorization of [undefined, 'Bearer wrong']) {
      const body = countingStream(100 * MiB)
      const headers: Record<string, string> = { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }
      const res = await app.request('/jobs', { method: 'POST', body: body.stream, duplex: 'half', headers } as RequestInit)
      expect(res.status).toBe(authorization ? 403 : 401)
      expect(body.pulled).toBe(0)
    }
    const res = await app.request('/healthz')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ok: true })
  })
})
