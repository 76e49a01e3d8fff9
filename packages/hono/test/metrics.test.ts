// GET /metrics: the queue's gauges from the database in Prometheus' text format, behind the
// API's bearer token, with a Node worker's prom-client registry appended.
import { collectQueueMetrics } from '@pgq/core/prometheus'
import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { checkExposition, sampleValue } from '../../core/test/support/prometheus-format.js'
import { createQueueApi } from '../src/index.js'
import { bearer, testQueue, useAppDatabase } from './support.js'

describe('GET /metrics', () => {
  const fixture = useAppDatabase('hono_metrics')

  it('answers only with the bearer token, in the text format, with the jobs by entrypoint and status', async () => {
    const queue = testQueue(fixture.driver)
    const app = createQueueApi({ queue, token: 'scrape-token' })
    await queue.enqueueMany([
      { entrypoint: 'ok', payload: 1 },
      { entrypoint: 'fail', payload: 2 },
    ])
    await queue.drain()
    await queue.enqueue('ok', 3)

    expect((await app.request('/metrics')).status).toBe(401)
    expect((await app.request('/metrics', { headers: bearer('wrong') })).status).toBe(403)
    const res = await app.request('/metrics', { headers: bearer('scrape-token') })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    const m = checkExposition(await res.text())
    expect([sampleValue(m, 'pgq_jobs', { entrypoint: 'ok', status: 'queued' }), sampleValue(m, 'pgq_jobs', { entrypoint: 'fail', status: 'held' })]).toEqual([1, 1])
    expect(sampleValue(m, 'pgq_entrypoint_paused', { entrypoint: 'ok' })).toBe(0)
    expect(sampleValue(m, 'pgq_health_check_ok', { check: 'schema-version' })).toBe(1)
    expect(sampleValue(m, 'pgq_schema_version')).toBeGreaterThan(0)
  })

  it("appends a prom-client registry and a function's text after pgq's gauges; health: false leaves out the table health", async () => {
    const queue = testQueue(fixture.driver)
    const registry = new Registry()
    const stop = await collectQueueMetrics(queue, { registry })
    const app = createQueueApi({
      queue,
      token: 't',
      metrics: { append: [registry, () => '# HELP app_build_info Build.\n# TYPE app_build_info gauge\napp_build_info{version="1.2.3"} 1'], health: false },
    })
    await queue.enqueue('ok', 1)
    await queue.drain()
    const text = await (await app.request('/metrics', { headers: bearer('t') })).text()
    const m = checkExposition(text)
    // This job and the one the first test left queued.
    expect(sampleValue(m, 'pgq_jobs_succeeded_total', { entrypoint: 'ok' })).toBe(2)
    expect(sampleValue(m, 'app_build_info', { version: '1.2.3' })).toBe(1)
    expect(m.has('pgq_jobs')).toBe(true)
    expect(m.has('pgq_schema_version')).toBe(false)
    expect(text.indexOf('# TYPE pgq_jobs ')).toBeLessThan(text.indexOf('# TYPE pgq_jobs_started_total '))
    stop()
    expect(() => createQueueApi({ queue, token: 't', metrics: { append: [registry, {} as never] } })).toThrow(/metrics.append\[1\] must be a prom-client Registry/)
  })

  it('makes a queue per request for the scrape and releases it after', async () => {
    let ended = 0
    const app = createQueueApi<{ TOKEN: string }>({
      queueFor: () => ({ queue: testQueue(fixture.driver), end: async () => void ended++ }),
      tokenFrom: (env) => env.TOKEN,
    })
    const res = await app.request('/metrics', { headers: bearer('env-token') }, { TOKEN: 'env-token' })
    expect(res.status).toBe(200)
    checkExposition(await res.text())
    expect(ended).toBe(1)
  })
})
