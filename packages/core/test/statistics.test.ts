// Per-minute statistics, written by the statements that finish jobs (finish-jobs, cancel-jobs
// through count-finished), read with queue.statistics().
import { beforeEach, describe, expect, it } from 'vitest'
import type { StatisticsBucket } from '../src/queue/statistics.js'
import { SuccessTally } from '../src/queue/success-tally.js'
import { ResultBuffer } from '../src/runtime/result-buffer.js'
import { bucketOf, HISTOGRAM_BUCKETS, histogramBucket } from '../src/sql/count-finished.js'
import { DRIVERS, useQueueDatabase } from './support/queue-database.js'
import { queueOn, sleep } from './support/runtime.js'

/** Buckets summed by status (a run may straddle a minute boundary and write two buckets). */
function countsByStatus(buckets: StatisticsBucket[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const b of buckets) out[b.status] = (out[b.status] ?? 0) + b.count
  return out
}

describe.each(DRIVERS)('statistics, over %s', (driverName) => {
  const q = useQueueDatabase('statistics', driverName)
  beforeEach(async () => {
    await q.reset()
    await q.sql('truncate pgq.statistics, pgq.leases')
  })

  it('counts successes of an entrypoint with logSuccess: false, with the run durations of its handler', async () => {
    const queue = queueOn(q.driver).entrypoint('quiet', { logSuccess: false }, () => sleep(22)) // ~20 ms (a timer may fire up to 1 ms early)
    const n = 30
    await queue.enqueueMany(Array.from({ length: n }, (_, i) => ({ entrypoint: 'quiet', payload: i })))
    expect(await queue.drain({ timeBudget: 20_000, batchSize: 5, maxConcurrentTasks: 10 })).toMatchObject({ succeeded: n })
    expect(await q.sql('select count(*)::int as n from pgq.log')).toEqual([{ n: 0 }])

    const buckets = await queue.statistics()
    expect(countsByStatus(buckets)).toEqual({ successful: n })
    for (const b of buckets) {
      expect(b).toMatchObject({ entrypoint: 'quiet', status: 'successful', priority: 0 })
      // Every job's run is measured; p50 reads a power-of-two bucket, so within 2× of 20 ms.
      expect(b.run?.count).toBe(b.count)
      expect(b.run!.p50).toBeGreaterThanOrEqual(16)
      expect(b.run!.p50).toBeLessThanOrEqual(64)
      expect(b.run!.p95).toBeGreaterThanOrEqual(b.run!.p50)
      expect(b.run!.max).toBeGreaterThanOrEqual(20)
      expect(b.run!.mean).toBeGreaterThanOrEqual(18)
      expect(b.run!.mean).toBeLessThanOrEqual(b.run!.max)
      expect(b.wait?.count).toBe(b.count)
    }
  })

  it('measures the wait from when a job was due to when it was claimed', async () => {
    const queue = queueOn(q.driver)
      .entrypoint('late', () => undefined)
      .entrypoint('prompt', () => undefined)
    await queue.enqueueMany([
      ...Array.from({ length: 5 }, () => ({ entrypoint: 'late' as const, payload: null, runAt: new Date(Date.now() - 5000) })),
      ...Array.from({ length: 5 }, () => ({ entrypoint: 'prompt' as const, payload: null })),
    ])
    // A job due later waits from its due time, not from its enqueue.
    await queue.enqueue('prompt', null, { delay: 300 })
    await sleep(400)
    expect(await queue.drain({ timeBudget: 10_000 })).toMatchObject({ succeeded: 11 })
    const buckets = await queue.statistics()
    const late = buckets.filter((b) => b.entrypoint === 'late')
    const prompt = buckets.filter((b) => b.entrypoint === 'prompt')
    expect(late.reduce((a, b) => a + b.count, 0)).toBe(5)
    expect(prompt.reduce((a, b) => a + b.count, 0)).toBe(6)
    for (const b of late) {
      expect(b.wait!.max).toBeGreaterThanOrEqual(5000)
      expect(b.wait!.max).toBeLessThan(30_000)
      expect(b.wait!.p50).toBeGreaterThanOrEqual(4096)
      expect(b.wait!.mean).toBeGreaterThanOrEqual(5000)
    }
    for (const b of prompt) {
      expect(b.wait!.max).toBeLessThan(2000)
      expect(b.wait!.max).toBeGreaterThanOrEqual(0)
    }
  })

  it('counts retried attempts (queued), held (failed), dropped (exception) and canceled jobs', async () => {
    let flakyRuns = 0
    const queue = queueOn(q.driver)
      .entrypoint('flaky', { maxAttempts: 2, onFailure: 'hold', backoff: { base: 10, jitter: 0 } }, async () => {
        flakyRuns++
        await sleep(12)
        throw new Error('always fails')
      })
      .entrypoint('doomed', { maxAttempts: 1, onFailure: 'delete' }, () => {
        throw new Error('fails once, dropped')
      })
      .entrypoint('later', () => undefined)
    await queue.enqueue('flaky', null)
    await queue.enqueue('doomed', null)
    const canceled = await queue.enqueueMany([
      { entrypoint: 'later', payload: 1, delay: 60_000 },
      { entrypoint: 'later', payload: 2, delay: 60_000 },
    ])
    expect(await queue.cancel(canceled)).toHaveLength(2)
    await expect
      .poll(
        async () => {
          await queue.drain({ timeBudget: 5000 })
          return flakyRuns
        },
        { timeout: 10_000 },
      )
      .toBe(2)

    const buckets = await queue.statistics()
    const by = (entrypoint: string, status: string) => buckets.filter((b) => b.entrypoint === entrypoint && b.status === status)
    const sum = (list: StatisticsBucket[]) => list.reduce((a, b) => a + b.count, 0)
    expect(sum(by('flaky', 'queued'))).toBe(1)
    expect(sum(by('flaky', 'failed'))).toBe(1)
    expect(sum(by('doomed', 'exception'))).toBe(1)
    expect(sum(by('later', 'canceled'))).toBe(2)
    expect(buckets.reduce((a, b) => a + b.count, 0)).toBe(5)
    // Failed attempts have a run and a wait; a canceled job never ran.
    for (const b of [...by('flaky', 'queued'), ...by('flaky', 'failed'), ...by('doomed', 'exception')]) {
      expect(b.run?.count).toBe(b.count)
      expect(b.run!.max).toBeGreaterThanOrEqual(0)
      expect(b.wait?.count).toBe(b.count)
    }
    for (const b of by('flaky', 'queued')) expect(b.run!.max).toBeGreaterThanOrEqual(10)
    for (const b of by('later', 'canceled')) expect(b).toMatchObject({ run: null, wait: null })
    // The log agrees on the failures (the statistics do not depend on it, though).
    expect(await q.sql(`select status::text, count(*)::int as n from pgq.log group by status order by status::text`)).toEqual([
      { status: 'canceled', n: 2 },
      { status: 'exception', n: 1 },
      { status: 'failed', n: 1 },
      { status: 'queued', n: 1 },
    ])
  })

  it('keeps a bucket per priority, and filters by entrypoint', async () => {
    const queue = queueOn(q.driver)
      .entrypoint('a', () => undefined)
      .entrypoint('b', () => undefined)
    await queue.enqueueMany([
      ...Array.from({ length: 3 }, () => ({ entrypoint: 'a' as const, payload: null, priority: 5 })),
      ...Array.from({ length: 2 }, () => ({ entrypoint: 'a' as const, payload: null, priority: -1 })),
      { entrypoint: 'b' as const, payload: null },
    ])
    expect(await queue.drain({ timeBudget: 10_000 })).toMatchObject({ succeeded: 6 })
    const perPriority = (buckets: StatisticsBucket[]) => {
      const out: Record<string, number> = {}
      for (const b of buckets) out[`${b.entrypoint}/${b.priority}`] = (out[`${b.entrypoint}/${b.priority}`] ?? 0) + b.count
      return out
    }
    expect(perPriority(await queue.statistics())).toEqual({ 'a/5': 3, 'a/-1': 2, 'b/0': 1 })
    expect(perPriority(await queue.statistics({ entrypoints: ['b'] }))).toEqual({ 'b/0': 1 })
    expect(await queue.statistics({ entrypoints: [] })).toEqual([])
  })

  it('writes one bucket per minute: a finish in a later minute does not add to an earlier bucket', async () => {
    const queue = queueOn(q.driver).entrypoint('tick', () => undefined)
    await queue.enqueueMany(Array.from({ length: 4 }, () => ({ entrypoint: 'tick', payload: null })))
    await queue.drain({ timeBudget: 10_000 })
    const first = await q.sql('select bucket, count from pgq.statistics')
    for (const row of first) expect(await q.sql(`select date_trunc('minute', $1::timestamptz) = $1::timestamptz as whole`, [row.bucket])).toEqual([{ whole: true }])
    // Move what was written back ten minutes, as if it had been written then.
    await q.sql(`update pgq.statistics set bucket = bucket - interval '10 minutes'`)
    await queue.enqueueMany(Array.from({ length: 3 }, () => ({ entrypoint: 'tick', payload: null })))
    await queue.drain({ timeBudget: 10_000 })
    const rows = await q.sql(
      `select count::int as count, bucket = date_trunc('minute', bucket) as whole, bucket > now() - interval '5 minutes' as recent from pgq.statistics order by bucket`,
    )
    expect(rows.filter((r) => !r.recent).reduce((a, r) => a + (r.count as number), 0)).toBe(4)
    expect(rows.filter((r) => r.recent).reduce((a, r) => a + (r.count as number), 0)).toBe(3)
    expect(rows.every((r) => r.whole)).toBe(true)
    // since/until select by minute: the last five minutes see only the recent finishes.
    const recent = await queue.statistics({ since: new Date(Date.now() - 5 * 60_000) })
    expect(countsByStatus(recent)).toEqual({ successful: 3 })
    expect(countsByStatus(await queue.statistics())).toEqual({ successful: 7 })
    expect(await queue.statistics({ since: new Date(Date.now() - 3_600_000), until: new Date(Date.now() - 5 * 60_000) })).toHaveLength(first.length)
    for (const b of await queue.statistics()) expect(b.minute.getUTCSeconds() + b.minute.getUTCMilliseconds()).toBe(0)
  })

  it('several workers finishing at once produce exact totals, without deadlocks', async () => {
    const total = 2000
    const handler = () => undefined
    const queues = Array.from({ length: 4 }, () =>
      queueOn(q.driver)
        .entrypoint('x', handler)
        .entrypoint('y', handler),
    )
    const jobs = Array.from({ length: total }, (_, i) => ({ entrypoint: i % 2 === 0 ? ('x' as const) : ('y' as const), payload: i, priority: i % 3 }))
    await queues[0]!.enqueueMany(jobs)
    // A deadlock would show as a failed flush (retried, so the totals alone would not tell).
    const errors: unknown[] = []
    for (const queue of queues) queue.on('worker:error', (e) => errors.push(e))
    // Small batches and no flush delay: many finishing statements upsert the same six keys at once.
    const summaries = await Promise.all(queues.map((queue) => queue.drain({ timeBudget: 25_000, batchSize: 10, maxConcurrentTasks: 20, flushDelay: 0 })))
    expect(summaries.reduce((a, s) => a + s.succeeded, 0)).toBe(total)
    expect(summaries.every((s) => s.failed === 0 && s.succeeded > 0)).toBe(true)
    expect(errors).toEqual([])
    const buckets = await queues[0]!.statistics()
    expect(buckets.reduce((a, b) => a + b.count, 0)).toBe(total)
    expect(buckets.reduce((a, b) => a + (b.run?.count ?? 0), 0)).toBe(total)
    const perKey: Record<string, number> = {}
    for (const b of buckets) perKey[`${b.entrypoint}/${b.priority}`] = (perKey[`${b.entrypoint}/${b.priority}`] ?? 0) + b.count
    const expected: Record<string, number> = {}
    for (const j of jobs) expected[`${j.entrypoint}/${j.priority}`] = (expected[`${j.entrypoint}/${j.priority}`] ?? 0) + 1
    expect(perKey).toEqual(expected)
    // Each histogram adds up to its bucket's count.
    for (const row of await q.sql(
      `select count, (select sum(v) from unnest(run_ms_histogram) v)::int as run, (select sum(v) from unnest(wait_ms_histogram) v)::int as wait from pgq.statistics`,
    )) {
      expect(row.run).toBe(row.count)
      expect(row.wait).toBe(row.count)
    }
  })

  it('the worker adds up the successes of a flush; the statement counts them itself when one was no longer held', async () => {
    const open = (name: string) => ({ name, cap: 10, retryAfterMs: 0 })
    const rows = async () =>
      q.sql(`select count, run_ms_sum, run_ms_max, run_ms_histogram, wait_ms_histogram from pgq.statistics where status = 'successful'`)
    const flushed = async (cancelOne: boolean) => {
      await q.sql('truncate pgq.statistics')
      await q.producer().enqueueMany([1, 2, 3].map((n) => ({ entrypoint: 't', payload: n })))
      const consumer = q.consumer()
      const jobs = await consumer.claim(3, [open('t')])
      expect(jobs).toHaveLength(3)
      if (cancelOne) await q.producer().cancel([jobs[2]!.id])
      const buffer = new ResultBuffer({ consumer, maxBatch: 100, delayMs: 60_000, onError: (e) => { throw e } })
      for (const [i, job] of jobs.entries()) buffer.complete(job, [3, 40, 600][i]!)
      await buffer.flush()
      return rows()
    }
    const histogram = (...ms: number[]) => {
      const h = new Array(HISTOGRAM_BUCKETS).fill(0)
      for (const m of ms) h[histogramBucket(m)]++
      return h
    }
    // All held: the worker's tally as it is.
    expect(await flushed(false)).toEqual([{ count: 3, run_ms_sum: 643, run_ms_max: 600, run_ms_histogram: histogram(3, 40, 600), wait_ms_histogram: expect.any(Array) }])
    // The canceled one is not counted as a success, and the others keep their durations.
    expect(await flushed(true)).toEqual([{ count: 2, run_ms_sum: 43, run_ms_max: 40, run_ms_histogram: histogram(3, 40), wait_ms_histogram: expect.any(Array) }])
    const [last] = await rows()
    expect((last!.wait_ms_histogram as number[]).reduce((a, b) => a + b, 0)).toBe(2)
  })
})

describe('the statistics histogram buckets', () => {
  const q = useQueueDatabase('statistics_buckets', 'node-postgres')

  it('are the same in the worker as in SQL', async () => {
    const values = [0, 0.2, 0.49, 0.5, 0.99, 1, 1.5, 1.999, 2, 3, 4, 7.999, 8, 16, 1023.9, 1024, 65_536, 2 ** 22, 2 ** 23, 1e9, 1e12]
    const [row] = await q.sql(`select array(select ${bucketOf('v')} from unnest($1::float8[]) with ordinality as u(v, n) order by n) as b`, [values])
    expect(row!.b).toEqual(values.map(histogramBucket))
    expect(values.map(histogramBucket).slice(0, 6)).toEqual([0, 0, 0, 0, 0, 1])
  })

  it('add up across tallies merged after a failed write', () => {
    const a = new SuccessTally()
    a.add('e', 0, 5, 1)
    a.add('e', 1, 7, 2)
    const b = new SuccessTally()
    b.add('e', 0, 9, 3)
    b.merge(a)
    expect(b.count).toBe(3)
    const [p0, p1] = b.rows().sort((x, y) => x.priority - y.priority)
    expect(p0).toMatchObject({ entrypoint: 'e', priority: 0, count: 2, run_ms_sum: 14, run_ms_max: 9, wait_ms_sum: 4, wait_ms_max: 3 })
    expect(p1).toMatchObject({ priority: 1, count: 1, run_ms_sum: 7 })
    expect(p0!.run_ms_histogram.reduce((x, y) => x + y, 0)).toBe(2)
  })
})
