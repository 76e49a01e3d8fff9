// The app in Node over node-postgres: what the workerd tests leave out (drain budget cap,
// requeue by id, per-request scopes, a server without a token, errors that must not leak).
import { describe, expect, it } from 'vitest'
import { type AppQueue, createWorkerApp, timingSafeEqual } from '../src/index.js'
import { bearer, testQueue, useAppDatabase } from './support.js'

describe('timingSafeEqual', () => {
  it('is true only for identical strings', async () => {
    expect(await timingSafeEqual('s3cret', 's3cret')).toBe(true)
    expect(await timingSafeEqual('s3cret', 's3creT')).toBe(false)
    expect(await timingSafeEqual('s3cret', 's3cret-and-more')).toBe(false)
    expect(await timingSafeEqual('', 'x')).toBe(false)
  })
})

describe('createWorkerApp', () => {
  const fixture = useAppDatabase('hono_app')

  const json = (body: unknown) => ({ method: 'POST', headers: { ...bearer('t'), 'content-type': 'application/json' }, body: JSON.stringify(body) })

  it('drains within the capped budget, requeues a failed job by id, and counts per entrypoint and status', async () => {
    const queue = testQueue(fixture.driver)
    const app = createWorkerApp({ queue, token: 't', maxDrainMs: 2000 })
    const { ids } = await (await app.request('/jobs', json([
      { entrypoint: 'ok', payload: 1, priority: 1 },
      { entrypoint: 'ok', payload: 2, priority: 2, executeAfter: new Date(Date.now() + 60_000).toISOString() },
      { entrypoint: 'fail', payload: 3 },
    ]))).json()
    const drained = await (await app.request('/drain', json({ timeBudgetMs: 600_000 }))).json()
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
    const app = createWorkerApp<{ TOKEN: string }>({
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

  it('refuses every route but /healthz when no token is configured', async () => {
    const app = createWorkerApp<{ TOKEN?: string }>({ queue: testQueue(fixture.driver), tokenFrom: (env) => env.TOKEN })
    expect((await app.request('/healthz', {}, {})).status).toBe(200)
    const res = await app.request('/stats', { headers: bearer('anything') }, {})
    expect(res.status).toBe(500)
    expect(await res.json()).toMatchObject({ error: 'server_misconfigured' })
  })

  it('answers 500 without the details of an unexpected error', async () => {
    const broken = { producer: { queueSize: () => Promise.reject(new Error('connect ECONNREFUSED fixture.db.internal:5432 password=hunter2')) } } as unknown as AppQueue
    const app = createWorkerApp({ queue: broken, token: 't' })
    const res = await app.request('/stats', { headers: bearer('t') })
    expect(res.status).toBe(500)
    expect(await res.text()).toBe('{"error":"internal_error"}')
  })
})
