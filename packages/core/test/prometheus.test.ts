// Prometheus: the edge-safe text renderer, the queue's gauges read from the database, and a
// Node worker's prom-client counters and histograms fed by the queue's events. Every text is
// checked by a strict parser and by promtool (see support/prometheus-format.ts).
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { ConfigurationError } from '../src/errors.js'
import { collectQueueMetrics } from '../src/observability/prometheus.js'
import { renderPrometheusText } from '../src/observability/prometheus-text.js'
import { queueGauges } from '../src/observability/queue-gauges.js'
import { SCHEMA_VERSION } from '../src/schema/version.js'
import type { Job } from '../src/types.js'
import { checkExposition, sampleValue } from './support/prometheus-format.js'
import { useQueueDatabase } from './support/queue-database.js'
import { queueOn } from './support/runtime.js'

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url))
const HIDE_PROM_CLIENT = fileURLToPath(new URL('./fixtures/hide-prom-client.mjs', import.meta.url))

const fails = async () => {
  throw new TypeError('bad input')
}

describe('renderPrometheusText', () => {
  it('escapes label values and HELP as the format says, and writes NaN and the infinities as Prometheus reads them', () => {
    const tricky = 'say "hi"\\ then\nleave'
    const text = renderPrometheusText([
      { name: 'demo_events_total', help: 'Events, per path C:\\tmp\nsecond line "quoted"', type: 'counter', samples: [{ labels: { path: tricky, kind: 'a' }, value: 3 }] },
      {
        name: 'demo_level',
        help: 'A level.',
        type: 'gauge',
        samples: [
          { labels: { v: 'nan' }, value: Number.NaN },
          { labels: { v: 'inf' }, value: Number.POSITIVE_INFINITY },
          { labels: { v: '-inf' }, value: Number.NEGATIVE_INFINITY },
          { labels: { v: 'small' }, value: 5e-7 },
          { labels: { v: 'big' }, value: 1e21 },
        ],
      },
      { name: 'demo_empty', help: 'No samples yet.', type: 'gauge', samples: [] },
    ])
    expect(text).toBe(
      [
        '# HELP demo_events_total Events, per path C:\\\\tmp\\nsecond line "quoted"',
        '# TYPE demo_events_total counter',
        'demo_events_total{path="say \\"hi\\"\\\\ then\\nleave",kind="a"} 3',
        '# HELP demo_level A level.',
        '# TYPE demo_level gauge',
        'demo_level{v="nan"} NaN',
        'demo_level{v="inf"} +Inf',
        'demo_level{v="-inf"} -Inf',
        'demo_level{v="small"} 5e-7',
        'demo_level{v="big"} 1e+21',
        '# HELP demo_empty No samples yet.',
        '# TYPE demo_empty gauge',
        '',
      ].join('\n'),
    )
    const parsed = checkExposition(text)
    expect(parsed.get('demo_events_total')!.samples[0]!.labels.path).toBe(tricky)
    expect(parsed.get('demo_events_total')!.help).toBe('Events, per path C:\\tmp\nsecond line "quoted"')
    // The checks have teeth: an unescaped quote, and a sample before its TYPE, are refused.
    expect(() => checkExposition('# TYPE a gauge\na{l="x"y"} 1\n')).toThrow(/label/)
    expect(() => checkExposition('a 1\n# TYPE a gauge\n')).toThrow(/no TYPE line/)
  })

  it('refuses a metric or label name Prometheus cannot read, and a family given twice', () => {
    const family = (name: string, labels: Record<string, string> = {}) => ({ name, help: 'h', type: 'gauge' as const, samples: [{ labels, value: 1 }] })
    expect(() => renderPrometheusText([family('pgq-jobs')])).toThrow(ConfigurationError)
    expect(() => renderPrometheusText([family('9jobs')])).toThrow(/metric name "9jobs"/)
    expect(() => renderPrometheusText([family('jobs', { 'entry-point': 'x' })])).toThrow(/label name "entry-point"/)
    expect(() => renderPrometheusText([family('jobs', { __name__: 'x' })])).toThrow(/not starting with __/)
    expect(() => renderPrometheusText([family('jobs'), family('jobs')])).toThrow(/jobs is given twice/)
  })
})

describe('queueGauges', () => {
  const f = useQueueDatabase('prom_gauges', 'node-postgres')

  it('reads jobs by entrypoint and status, the oldest wait, pauses and limits, and table health from the database', async () => {
    await f.reset()
    // A name with every character the format escapes: entrypoint names may hold them.
    const odd = 'odd "name"\\ with\nbreak'
    const queue = queueOn(f.driver)
      .entrypoint('ok', async () => undefined)
      .entrypoint(odd, { concurrencyLimit: 3, requestsPerSecond: 5 }, async () => undefined)
      .entrypoint('fail', { maxAttempts: 1 }, fails)
    await queue.enqueue('fail', null)
    expect(await queue.drain({ entrypoints: ['fail'] })).toMatchObject({ failed: 1 })
    await queue.enqueueMany([
      { entrypoint: 'ok', payload: 1 },
      { entrypoint: 'ok', payload: 2 },
      { entrypoint: 'ok', payload: 3, delay: '1h' },
      { entrypoint: odd, payload: 4, runAt: new Date(Date.now() - 90_000) },
    ])
    expect(await f.consumer().claim(1, [{ name: 'ok', cap: 1, retryAfterMs: 60_000 }])).toHaveLength(1)
    await queue.pause(odd)

    const [overview, policies, health] = await Promise.all([queue.overview(), queue.entrypointPolicies(), queue.health()])
    const m = checkExposition(renderPrometheusText(queueGauges({ overview, policies, health })))
    const jobs = (entrypoint: string, status: string) => sampleValue(m, 'pgq_jobs', { entrypoint, status })
    expect({ queued: jobs('ok', 'queued'), scheduled: jobs('ok', 'scheduled'), picked: jobs('ok', 'picked'), held: jobs('ok', 'held') }).toEqual({ queued: 1, scheduled: 1, picked: 1, held: 0 })
    expect([jobs('fail', 'held'), jobs('fail', 'queued'), jobs(odd, 'queued')]).toEqual([1, 0, 1])
    const oldest = sampleValue(m, 'pgq_oldest_queued_job_age_seconds', { entrypoint: odd })!
    expect(oldest).toBeGreaterThanOrEqual(89)
    expect(oldest).toBeLessThan(120)
    expect(sampleValue(m, 'pgq_oldest_queued_job_age_seconds', { entrypoint: 'fail' })).toBe(0)
    expect([sampleValue(m, 'pgq_entrypoint_paused', { entrypoint: odd }), sampleValue(m, 'pgq_entrypoint_paused', { entrypoint: 'ok' })]).toEqual([1, 0])
    expect(sampleValue(m, 'pgq_entrypoint_concurrency_limit', { entrypoint: odd })).toBe(3)
    expect(sampleValue(m, 'pgq_entrypoint_concurrency_limit', { entrypoint: 'ok' })).toBe(0)
    expect(sampleValue(m, 'pgq_entrypoint_requests_per_second_limit', { entrypoint: odd })).toBe(5)
    expect(sampleValue(m, 'pgq_schema_version')).toBe(SCHEMA_VERSION)
    expect(sampleValue(m, 'pgq_health_check_ok', { check: 'schema-version' })).toBe(1)
    expect(sampleValue(m, 'pgq_expired_leases')).toBe(0)
    expect(sampleValue(m, 'pgq_xmin_horizon_age_seconds')).toBeGreaterThanOrEqual(0)
    expect(m.get('pgq_jobs')!.type).toBe('gauge')
    await queue.close()
  })
})

describe('collectQueueMetrics', () => {
  const f = useQueueDatabase('prom_client', 'node-postgres')

  function workQueue() {
    return queueOn(f.driver)
      .entrypoint('ok', async () => undefined)
      .entrypoint('flaky', { maxAttempts: 2, backoff: { base: 10, jitter: 0 } }, async (job: Job) => {
        if (job.attempts === 1) throw new Error('first attempt fails')
      })
      .entrypoint('held', { maxAttempts: 1 }, fails)
      .entrypoint('dropped', { maxAttempts: 1, onFailure: 'delete' }, fails)
  }

  async function runAll(queue: ReturnType<typeof workQueue>, jobs: { entrypoint: 'ok' | 'flaky' | 'held' | 'dropped'; payload: null }[]) {
    const ids = await queue.enqueueMany(jobs)
    const worker = queue.start({ pollInterval: 50 })
    await queue.waitFor(ids, { timeout: '20s' })
    await worker.stop()
  }

  it("counts this process's starts, successes, retries and failures per entrypoint, and times runs by outcome", async () => {
    await f.reset()
    const registry = new Registry()
    const queue = workQueue()
    const unsubscribe = await collectQueueMetrics(queue, { registry, buckets: [0.001, 1, 10] })
    const one = (entrypoint: 'ok' | 'flaky' | 'held' | 'dropped') => ({ entrypoint, payload: null })
    await runAll(queue, [one('ok'), one('ok'), one('ok'), one('flaky'), one('held'), one('dropped')])

    const m = checkExposition(await registry.metrics())
    const count = (name: string, entrypoint: string) => sampleValue(m, `pgq_jobs_${name}_total`, { entrypoint }) ?? 0
    const by = (name: string) => Object.fromEntries(['ok', 'flaky', 'held', 'dropped'].map((e) => [e, count(name, e)]))
    expect(by('started')).toEqual({ ok: 3, flaky: 2, held: 1, dropped: 1 })
    expect(by('succeeded')).toEqual({ ok: 3, flaky: 1, held: 0, dropped: 0 })
    expect(by('retried')).toEqual({ ok: 0, flaky: 1, held: 0, dropped: 0 })
    expect(by('failed')).toEqual({ ok: 0, flaky: 0, held: 1, dropped: 1 })
    const runs = (entrypoint: string, outcome: string) => sampleValue(m, 'pgq_job_run_duration_seconds_count', { entrypoint, outcome }, 'pgq_job_run_duration_seconds')
    expect([runs('ok', 'succeeded'), runs('flaky', 'retried'), runs('flaky', 'succeeded'), runs('held', 'held'), runs('dropped', 'failed')]).toEqual([3, 1, 1, 1, 1])
    expect(sampleValue(m, 'pgq_job_run_duration_seconds_bucket', { entrypoint: 'ok', outcome: 'succeeded', le: '+Inf' }, 'pgq_job_run_duration_seconds')).toBe(3)
    expect(sampleValue(m, 'pgq_job_run_duration_seconds_bucket', { entrypoint: 'ok', outcome: 'succeeded', le: '10' }, 'pgq_job_run_duration_seconds')).toBe(3)
    expect(m.get('pgq_job_run_duration_seconds')!.type).toBe('histogram')
    expect(sampleValue(m, 'pgq_worker_jobs_running', { entrypoint: 'ok' })).toBe(0)

    // Unsubscribed: later runs are not counted.
    unsubscribe()
    await runAll(queue, [one('ok')])
    expect(sampleValue(checkExposition(await registry.metrics()), 'pgq_jobs_started_total', { entrypoint: 'ok' })).toBe(3)
    await queue.close()
  })

  it('names metrics with the given prefix, and lets two queues share one registry', async () => {
    await f.reset()
    const registry = new Registry()
    const [a, b] = [workQueue(), workQueue()]
    await collectQueueMetrics(a, { registry, prefix: 'app_pgq_' })
    await collectQueueMetrics(b, { registry, prefix: 'app_pgq_' })
    await runAll(a, [{ entrypoint: 'ok', payload: null }])
    await runAll(b, [{ entrypoint: 'ok', payload: null }])
    const m = checkExposition(await registry.metrics())
    expect(sampleValue(m, 'app_pgq_jobs_succeeded_total', { entrypoint: 'ok' })).toBe(2)
    expect([...m.keys()].every((name) => name.startsWith('app_pgq_'))).toBe(true)
    await Promise.all([a.close(), b.close()])
  })

  it('names prom-client when it is not installed (the built package, in a process where Node cannot resolve it)', () => {
    const script = "const m = await import('@pgq/core/prometheus'); await m.collectQueueMetrics({ on: () => () => {} }).catch((e) => console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })))"
    const run = spawnSync(process.execPath, ['--import', HIDE_PROM_CLIENT, '--input-type=module', '-e', script], { cwd: PACKAGE_DIR, encoding: 'utf8' })
    expect(run.stderr).toBe('')
    expect(JSON.parse(run.stdout)).toEqual({
      name: 'MissingDependencyError',
      code: 'PGQ_MISSING_DEPENDENCY',
      message: `pgq's Prometheus metrics (@pgq/core/prometheus) needs the package "prom-client", which is not installed: npm install prom-client`,
    })
  })
})
