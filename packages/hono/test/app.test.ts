// The app in Node over node-postgres: what the workerd tests leave out (drain budget cap,
// requeue by id, per-request scopes, a server without a token, errors that must not leak).
import { ConfigurationError, createProducer } from '@pgq/core'
import { describe, expect, it } from 'vitest'
import { type AppQueue, createQueueApi } from '../src/index.js'
import { bearer, testQueue, useAppDatabase } from './support.js'

/** Status, headers and body of an answer, for exact comparison. */
async function answer(res: Response) {
  return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.json() }
}

describe('createQueueApi', () => {
  const fixture = useAppDatabase('hono_app')

  const json = (body: unknown) => ({ method: 'POST', headers: { ...bearer('t'), 'content-type': 'application/json' }, body: JSON.stringify(body) })

  it('drains within the capped budget, requeues a failed job by id, and counts per entrypoint and status', async () => {
    const queue = testQueue(fixture.driver)
    const app = createQueueApi({ queue, token: 't', maxDrain: '2s' })
    const { ids } = await (await app.request('/jobs', json([
      { entrypoint: 'ok', payload: 1, priority: 1 },
      { entrypoint: 'ok', payload: 2, priority: 2, runAt: new Date(Date.now() + 60_000).toISOString() },
      { entrypoint: 'fail', payload: 3 },
    ]))).json()
    const drained = await (await app.request('/drain', json({ timeBudget: 600_000 }))).json()
    expect(drained).toMatchObject({ claimed: 2, succeeded: 1, failed: 1, stoppedBy: 'empty', schedules: [] })
    expect(drained.durationMs).toBeLessThan(2000)
    expect(await (await app.request('/stats', { headers: bearer('t') })).json()).toEqual({ total: 2, entrypoints: { ok: { queued: 1 }, fail: { failed: 1 } } })
    const requeued = await app.request('/jobs/requeue', json({ ids: [ids[2]] }))
    expect(await requeued.json()).toEqual({ ids: [ids[2]] })
    expect(await (await app.request(`/jobs/${ids[2]}`, { headers: bearer('t') })).json()).toMatchObject({ status: 'queued', attempts: 0, traceback: { message: 'always fails' } })
  })

  it('makes a queue per request and releases it after the response', async () => {
    let made = 0
    let ended = 0
    const app = createQueueApi<{ TOKEN: string }>({
      queueFor: () => {
        made++
        return { queue: testQueue(fixture.driver), end: async () => void ended++ }
      },
      tokenFrom: (env) => env.TOKEN,
    })
    expect((await app.request('/stats', { headers: bearer('from-env') }, { TOKEN: 'from-env' })).status).toBe(200)
    expect((await app.request('/jobs/987654', { headers: bearer('from-env') }, { TOKEN: 'from-env' })).status).toBe(404)
    expect({ made, ended }).toEqual({ made: 2, ended: 2 })
    // Refused before a queue is made: no connection for unauthenticated traffic.
    expect((await app.request('/stats', {}, { TOKEN: 'from-env' })).status).toBe(401)
    expect(made).toBe(2)
  })

  it('answers 401 without a bearer token (with a challenge) and 403 with a wrong one, in pgq\'s JSON', async () => {
    const app = createQueueApi({ queue: testQueue(fixture.driver), token: 's3cret-Token_~+/.=' })
    const unauthorized = {
      status: 401,
      headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="pgq"' },
      body: { error: 'unauthorized', message: 'send Authorization: Bearer <token>' },
    }
    const forbidden = { status: 403, headers: { 'content-type': 'application/json' }, body: { error: 'forbidden', message: 'wrong token' } }
    // No header, an empty one, another scheme, no token after the scheme, two tokens, a tab: all 401 (Hono's own answer to some is 400).
    for (const authorization of [undefined, '', 'Basic dTpw', 'Bearer', 'Bearer ', 'Bearert', 'Bearer a b', 'Bearer\ts3cret-Token_~+/.=']) {
      const headers: Record<string, string> = authorization === undefined ? {} : { authorization }
      expect(await answer(await app.request('/stats', { headers })), JSON.stringify(authorization)).toEqual(unauthorized)
    }
    for (const authorization of ['Bearer wrong', 'Bearer s3cret-Token_~+/.', 'Bearer s3cret-Token_~+/.==']) {
      expect(await answer(await app.request('/stats', { headers: { authorization } })), authorization).toEqual(forbidden)
    }
    // The scheme in any case, and extra spaces before the token.
    for (const authorization of ['Bearer s3cret-Token_~+/.=', 'bearer s3cret-Token_~+/.=', 'BEARER  s3cret-Token_~+/.=']) {
      expect((await app.request('/stats', { headers: { authorization } })).status, authorization).toBe(200)
    }
  })

  it('refuses every route but /healthz when no token is configured', async () => {
    const app = createQueueApi<{ TOKEN?: string }>({ queue: testQueue(fixture.driver), tokenFrom: (env) => env.TOKEN })
    expect((await app.request('/healthz', {}, {})).status).toBe(200)
    const res = await app.request('/stats', { headers: bearer('anything') }, {})
    expect(res.status).toBe(500)
    expect(await res.json()).toEqual({ error: 'server_misconfigured', message: 'no API token is configured on the server' })
    expect((await app.request('/stats', {}, {})).status).toBe(500)
    // From plain JavaScript: no token option at all is refused the same way (a misspelt one throws: below).
    const untyped = createQueueApi({ queue: testQueue(fixture.driver) } as never)
    expect(await (await untyped.request('/stats', { headers: bearer('t') })).json()).toEqual({ error: 'server_misconfigured', message: 'no API token is configured on the server' })
    expect(() => createQueueApi({ token: 't' } as never)).toThrow(/createQueueApi needs \{ queue \}/)
    // `token: process.env.X` unset beside tokenFrom is no token given: tokenFrom is read, not a 500.
    const fromEnv = createQueueApi<{ T: string }>({ queue: testQueue(fixture.driver), token: undefined, tokenFrom: (env: { T: string }) => env.T } as never)
    expect((await fromEnv.request('/stats', { headers: bearer('from-env') }, { T: 'from-env' })).status).toBe(200)
  })

  it('refuses unknown options, in its own and the dashboard and metrics objects, when it is made', () => {
    const queue = testQueue(fixture.driver)
    // Before, each was ignored: a misspelt token served 500s, a misspelt dashboard setting its default.
    const refusals: [unknown, string][] = [
      [{ queue, tokne: 't' }, 'unknown createQueueApi option "tokne"; known: queue, queueFor, token, tokenFrom, dashboard, maxDrain, maxBodyBytes, metrics'],
      // Cut to 64 characters: the quote closes after them.
      [{ queue, token: 't', [`x${'y'.repeat(99)}`]: 1 }, `unknown createQueueApi option "x${'y'.repeat(63)}"; known: `],
      [{ queue, token: 't', dashboard: { path: '/ops', sesionTtl: '8h' } }, 'unknown dashboard option "sesionTtl"; known: path, sessionTtl, secureCookie, origin'],
      [{ queue, token: 't', metrics: { heath: false } }, 'unknown metrics option "heath"; known: append, health'],
      [{ queue, queueFor: () => ({ queue, end: async () => undefined }), token: 't' }, 'createQueueApi needs { queue } (a queue from createQueue()) or { queueFor: (env) => ({ queue, end? }) }, not both'],
      [{ token: 't', tokenFrom: undefined }, 'createQueueApi needs { queue } (a queue from createQueue()) or { queueFor: (env) => ({ queue, end? }) }'],
      [{ queueFor: queue, token: 't' }, 'createQueueApi queueFor must be a function'],
      [{ queue, tokenFrom: 'PGQ_TOKEN' }, 'createQueueApi tokenFrom must be a function'],
      [{ queue, token: 't', tokenFrom: () => 't' }, 'createQueueApi takes { token } or { tokenFrom: (env) => the token }, not both'],
      [{ queue, token: 't', maxDrain: '365d' }, 'maxDrain must be at most 24 days'],
      [{ queue, token: 't', metrics: { health: 'no' } }, 'metrics health must be true or false'],
      [{ queue, token: 't', dashboard: 'yes' }, 'createQueueApi dashboard must be true, false or { path, sessionTtl, secureCookie, origin }'],
      [{ queue, token: 't', dashboard: null }, 'createQueueApi dashboard must be true, false'],
      [null, 'createQueueApi options must be an object'],
    ]
    for (const [options, message] of refusals) {
      expect(() => createQueueApi(options as never), message).toThrow(ConfigurationError)
      expect(() => createQueueApi(options as never), message).toThrow(message)
    }
  })

  it('still takes every documented option, and undefined for the one of queue and queueFor not used', async () => {
    const queue = testQueue(fixture.driver)
    const everything = createQueueApi({
      queue,
      token: 't',
      dashboard: { path: '/ops/queue', sessionTtl: '8h', secureCookie: true, origin: ['https://ops.example'] },
      maxDrain: '10s',
      maxBodyBytes: 2048,
      metrics: { append: () => '', health: false },
    })
    expect((await everything.request('/ops/queue', { headers: bearer('t') })).status).toBe(200)
    const perRequest = createQueueApi({ queue: undefined, queueFor: () => ({ queue, end: async () => undefined }), tokenFrom: () => 't', dashboard: false } as never)
    expect((await perRequest.request('/stats', { headers: bearer('t') })).status).toBe(200)
    expect((await perRequest.request('/dashboard', { headers: bearer('t') })).status).toBe(404)
  })

  it('refuses a producer for a queue: it has no entrypoints to check or drain', async () => {
    // Before, it was accepted and every POST /jobs, /flows and /drain answered 500.
    const producer = createProducer({ driver: fixture.driver })
    expect(() => createQueueApi({ queue: producer as never, token: 't' })).toThrow(/a producer cannot serve the API/)
    const perRequest = createQueueApi({ queueFor: () => ({ queue: producer as never, end: async () => undefined }), token: 't' })
    const res = await perRequest.request('/jobs', { method: 'POST', headers: { ...bearer('t'), 'content-type': 'application/json' }, body: '{"entrypoint":"ok"}' })
    expect(res.status).toBe(500)
    expect(await res.json()).toMatchObject({ error: 'server_misconfigured', message: expect.stringContaining('a producer cannot serve the API') })
  })

  it('refuses everything when the configured token cannot be sent as a bearer token', async () => {
    const app = createQueueApi({ queue: testQueue(fixture.driver), token: 'p@ss word!' })
    for (const headers of [{}, bearer('p@ss word!'), bearer('wrong')]) {
      const res = await app.request('/stats', { headers })
      expect(res.status).toBe(500)
      expect(await res.json()).toMatchObject({ error: 'server_misconfigured', message: expect.stringContaining('cannot be sent as a bearer token') })
    }
  })

  it('answers 500 without the details of an unexpected error', async () => {
    const broken = Object.assign(testQueue(fixture.driver), { queueSize: () => Promise.reject(new Error('connect ECONNREFUSED fixture.db.internal:5432 password=hunter2')) }) as unknown as AppQueue
    const app = createQueueApi({ queue: broken, token: 't' })
    const res = await app.request('/stats', { headers: bearer('t') })
    expect(res.status).toBe(500)
    expect(await res.text()).toBe('{"error":"internal_error"}')
  })
})
