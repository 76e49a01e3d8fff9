// GET /metrics inside workerd: the gauges render with Web APIs only (no prom-client, no Node
// built-ins), on a queue made for the request, behind the same bearer token.
import { exports } from 'cloudflare:workers'
import { beforeEach, expect, it } from 'vitest'
import { call, sql, TOKEN } from './helpers.js'

beforeEach(async () => {
  await sql('delete from pgq.jobs; delete from pgq.log; delete from pgq.schedules')
})

const scrape = (token: string | null) =>
  exports.default.fetch('http://worker.test/metrics', { headers: token === null ? {} : { authorization: `Bearer ${token}` } })

it('serves the queue gauges in the Prometheus text format, behind the token', async () => {
  expect((await call('POST', '/jobs', { body: [{ entrypoint: 'greet', payload: { name: 'a' } }, { entrypoint: 'greet', payload: { name: 'b' }, delay: '1h' }] })).status).toBe(201)
  expect((await scrape(null)).status).toBe(401)
  expect((await scrape(`${TOKEN}x`)).status).toBe(403)
  const res = await scrape(TOKEN)
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
  const lines = (await res.text()).split('\n')
  expect(lines).toContain('# TYPE pgq_jobs gauge')
  expect(lines).toContain('pgq_jobs{entrypoint="greet",status="queued"} 1')
  expect(lines).toContain('pgq_jobs{entrypoint="greet",status="scheduled"} 1')
  expect(lines).toContain('pgq_entrypoint_paused{entrypoint="greet"} 0')
  expect(lines).toContain('pgq_health_check_ok{check="schema-version"} 1')
  expect(lines.at(-1)).toBe('') // ends with a line feed
})
