import pg from 'pg'
import { beforeEach, describe, expect, it } from 'vitest'
import type { PgqDriver } from '../src/driver/driver.js'
import { createConsumer } from '../src/queue/consumer.js'
import { DRIVERS, makeDriver, useQueueDatabase } from './support/queue-database.js'

const open = (name: string, cap = 100) => ({ name, cap, retryAfterMs: 0 })
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe.each(DRIVERS)('claim over %s', (driverName) => {
  const q = useQueueDatabase('claim', driverName)
  beforeEach(() => q.reset())

  it('takes the highest priority first, then the oldest, and marks them picked', async () => {
    const producer = q.producer()
    const low = await producer.enqueue('a', 'low', { priority: -1 })
    const first = await producer.enqueue('a', 'first')
    const high = await producer.enqueue('a', 'high', { priority: 10 })
    const second = await producer.enqueue('a', 'second')
    const worker = q.consumer()
    const jobs = await worker.claim(3, [open('a')])
    expect(jobs.map((j) => j.id)).toEqual([high, first, second])
    expect(jobs.every((j) => j.status === 'picked' && j.workerId === worker.workerId && j.attempts === 1)).toBe(true)
    expect((await worker.claim(3, [open('a')])).map((j) => j.id)).toEqual([low])
  })

  it('answers a claim of 250 (three answer rows of JSON) in priority order, every field as the queue holds it', async () => {
    // The claim answers in JSON text built by SQL (sql/claim-jobs.ts): awkward text must survive.
    const awkward = ['"quoted"', 'back\\slash', 'line\nbreak\ttab', 'ünï 💥', '</script>', "it's"]
    const entrypoint = 'odd "name" \\ é'
    const items = Array.from({ length: 250 }, (_, i) => ({
      entrypoint,
      payload: i % 50 === 0 ? null : { i, text: awkward[i % awkward.length], nested: [1.5, -2, true, null, { k: awkward[(i + 1) % awkward.length] }] },
      priority: (i * 7) % 5,
      ...(i % 3 === 0 ? { dedupeKey: `key ${awkward[i % awkward.length]} ${i}`, headers: { trace: awkward[(i + 2) % awkward.length]! } } : {}),
    }))
    const ids = await q.producer().enqueueMany(items)
    const worker = q.consumer()
    const jobs = await worker.claim(250, [open(entrypoint, 250)])
    const expected = ids.map((id, i) => ({ id, priority: items[i]!.priority })).sort((a, b) => b.priority - a.priority || a.id - b.id)
    expect(jobs.map((j) => j.id)).toEqual(expected.map((e) => e.id))
    for (const job of jobs) expect(job).toEqual(await q.producer().job(job.id))
    const byId = new Map(ids.map((id, i) => [id, items[i]!]))
    for (const job of jobs) {
      const item = byId.get(job.id)!
      expect(job).toMatchObject({ entrypoint, payload: item.payload, dedupeKey: item.dedupeKey ?? null, headers: item.headers ?? null, status: 'picked', workerId: worker.workerId })
    }
  })

  it('leaves jobs whose execute_after is in the future (delay or runAt)', async () => {
    const producer = q.producer()
    await producer.enqueue('a', 'later', { delay: 60_000 })
    await producer.enqueue('a', 'at', { runAt: new Date(Date.now() + 60_000) })
    await producer.enqueue('a', 'text', { delay: '1m' })
    const now = await producer.enqueue('a', 'now')
    expect((await q.consumer().claim(10, [open('a')])).map((j) => j.id)).toEqual([now])
    await q.sql(`update pgq.jobs set execute_after = now() - interval '1 second' where status = 'queued'`)
    expect(await q.consumer().claim(10, [open('a')])).toHaveLength(3)
  })

  it('never claims entrypoints the worker does not serve', async () => {
    const producer = q.producer()
    await producer.enqueueMany([{ entrypoint: 'mine', payload: 1 }, { entrypoint: 'theirs', payload: 2 }])
    const jobs = await q.consumer().claim(10, [open('mine')])
    expect(jobs.map((j) => j.entrypoint)).toEqual(['mine'])
    expect(await q.sql(`select status from pgq.jobs where entrypoint = 'theirs'`)).toEqual([{ status: 'queued' }])
  })

  it('respects the per-worker cap of each entrypoint and the batch size', async () => {
    await q.producer().enqueueMany(Array.from({ length: 20 }, (_, i) => ({ entrypoint: i % 2 ? 'a' : 'b', payload: i })))
    const jobs = await q.consumer().claim(6, [open('a', 2), open('b', 10)])
    expect(jobs).toHaveLength(6)
    expect(jobs.filter((j) => j.entrypoint === 'a')).toHaveLength(2)
  })

  it('gives concurrent claimers disjoint jobs (SKIP LOCKED)', async () => {
    await q.producer().enqueueMany(Array.from({ length: 200 }, (_, i) => ({ entrypoint: 'a', payload: i })))
    const workers = Array.from({ length: 8 }, () => q.consumer())
    const seen: number[] = []
    await Promise.all(
      workers.map(async (w) => {
        for (;;) {
          const jobs = await w.claim(7, [open('a')])
          if (jobs.length === 0) return
          seen.push(...jobs.map((j) => j.id))
        }
      }),
    )
    expect(seen).toHaveLength(200)
    expect(new Set(seen).size).toBe(200)
  })

  it('serialises an entrypoint with concurrency limit 1', async () => {
    await q.producer().enqueueMany([1, 2, 3].map((n) => ({ entrypoint: 'serial', payload: n })))
    await q.fleet().setEntrypointPolicy('serial', { concurrencyLimit: 1 })
    const limited = { name: 'serial', cap: 10, retryAfterMs: 0 }
    const a = q.consumer()
    const [first] = await a.claim(10, [limited])
    expect(first).toBeDefined()
    expect(await q.consumer().claim(10, [limited])).toHaveLength(0)
    expect(await a.claim(10, [limited])).toHaveLength(0)
    await a.complete([first!.id])
    expect(await q.consumer().claim(10, [limited])).toHaveLength(1)
  })

  it('holds a concurrency limit globally: 8 concurrent claimers on their own connections never exceed it', async () => {
    const LIMIT = 3
    const TOTAL = 120
    await q.producer().enqueueMany(Array.from({ length: TOTAL }, (_, i) => ({ entrypoint: 'limited', payload: i })))
    await q.fleet().setEntrypointPolicy('limited', { concurrencyLimit: LIMIT })
    const limited = { name: 'limited', cap: 5, retryAfterMs: 0 }
    const drivers = Array.from({ length: 8 }, () => makeDriver(driverName, q.url, 2))
    let running = 0
    let maxRunning = 0
    let maxInDatabase = 0
    let done = 0
    try {
      await Promise.all(
        drivers.map(async (driver) => {
          const w = createConsumer({ driver, workerId: crypto.randomUUID(), checkSchema: false })
          while (done < TOTAL) {
            const jobs = await w.claim(5, [limited])
            if (jobs.length === 0) {
              await sleep(2)
              continue
            }
            running += jobs.length
            maxRunning = Math.max(maxRunning, running)
            const [row] = await q.sql(`select count(*)::int as n from pgq.jobs where status = 'picked'`)
            maxInDatabase = Math.max(maxInDatabase, row!.n as number)
            await sleep(3 + Math.random() * 5)
            running -= jobs.length
            await w.complete(jobs.map((j) => j.id))
            done += jobs.length
          }
        }),
      )
    } finally {
      await Promise.all(drivers.map((d) => d.end()))
    }
    expect(done).toBe(TOTAL)
    expect(maxRunning).toBeLessThanOrEqual(LIMIT)
    expect(maxInDatabase).toBeLessThanOrEqual(LIMIT)
    expect(maxRunning).toBe(LIMIT) // the limit was reached, so the check above meant something
    expect(await q.sql(`select count(*)::int as n from pgq.log where status = 'successful'`)).toEqual([{ n: TOTAL }])
  })

  it('re-picks jobs whose heartbeat is older than the retry timer, even at the concurrency limit', async () => {
    await q.fleet().setEntrypointPolicy('rescue', { concurrencyLimit: 2, maxAttempts: 5 })
    await q.producer().enqueueMany([1, 2, 3].map((n) => ({ entrypoint: 'rescue', payload: n })))
    const spec = { name: 'rescue', cap: 10, retryAfterMs: 1000 }
    const dead = q.consumer()
    const held = await dead.claim(10, [spec])
    expect(held).toHaveLength(2) // the limit
    const rescuer = q.consumer()
    expect(await rescuer.claim(10, [spec])).toHaveLength(0) // heartbeats are fresh
    await q.sql(`update pgq.jobs set heartbeat = now() - interval '5 seconds' where status = 'picked'`)
    const rescued = await rescuer.claim(10, [spec])
    expect(rescued.map((j) => j.id).sort()).toEqual(held.map((j) => j.id).sort())
    expect(rescued.every((j) => j.attempts === 2 && j.workerId === rescuer.workerId)).toBe(true)
    // The dead worker can no longer touch them; the rescuer can.
    expect(await dead.complete(held.map((j) => j.id))).toEqual([])
    expect((await rescuer.complete(rescued.map((j) => j.id))).sort()).toEqual(held.map((j) => j.id).sort())
  })

  // claim_jobs() takes no advisory lock without a stored limit, and one with it: both paths must agree.
  describe.each([
    ['no stored limit', 0],
    ['a stored limit (advisory locks)', 1000],
  ])('with %s', (_path, concurrencyLimit) => {
    beforeEach(async () => {
      for (const name of ['r', 'c', 'f']) await q.fleet().setEntrypointPolicy(name, { concurrencyLimit, maxAttempts: 5 })
    })
    const spec = (name: string, cap = 10) => ({ name, cap, retryAfterMs: 1000 })
    const stale = () => q.sql(`update pgq.jobs set heartbeat = now() - interval '5 seconds' where status = 'picked'`)

    it('rescues stale jobs before fresher ones of higher priority; the batch cuts across both', async () => {
      const p = q.producer()
      const [first, second] = await p.enqueueMany([
        { entrypoint: 'r', payload: 1, priority: -5 },
        { entrypoint: 'r', payload: 2, priority: -5 },
      ])
      expect(await q.consumer().claim(2, [spec('r')])).toHaveLength(2)
      await stale()
      const fresh = await p.enqueue('r', 3, { priority: 10 })
      const rescuer = q.consumer()
      expect((await rescuer.claim(1, [spec('r')])).map((j) => j.id)).toEqual([first])
      // Chosen rescue-first, returned by priority.
      expect((await rescuer.claim(3, [spec('r')])).map((j) => j.id)).toEqual([fresh, second])
    })

    it('counts rescues in the per-worker cap', async () => {
      const p = q.producer()
      await p.enqueueMany([1, 2].map((n) => ({ entrypoint: 'c', payload: n })))
      expect(await q.consumer().claim(2, [spec('c')])).toHaveLength(2)
      await stale()
      await p.enqueueMany([3, 4].map((n) => ({ entrypoint: 'c', payload: n })))
      const jobs = await q.consumer().claim(10, [spec('c', 3)])
      expect(jobs.map((j) => j.payload)).toEqual([1, 2, 3])
    })

    it('returns each job as it now is in the queue', async () => {
      await q.producer().enqueue('f', { x: 1 }, { priority: 2, dedupeKey: 'k', headers: { h: 'v' } })
      const [job] = await q.consumer().claim(1, [spec('f')])
      expect(job).toEqual(await q.producer().job(job!.id))
      expect(job).toMatchObject({ status: 'picked', attempts: 1, dedupeKey: 'k', headers: { h: 'v' }, payload: { x: 1 } })
    })
  })

  it('ends a stale job with no attempts left instead of rescuing it: held, or dropped, with a WorkerLost traceback', async () => {
    await q.sql('truncate pgq.statistics')
    await q.fleet().setEntrypointPolicy('lost', { maxAttempts: 2 })
    await q.fleet().setEntrypointPolicy('gone', { maxAttempts: 1, onExhausted: 'delete' })
    const [lost] = await q.producer().enqueueMany([{ entrypoint: 'lost', payload: 1 }])
    const [gone] = await q.producer().enqueueMany([{ entrypoint: 'gone', payload: 2 }])
    const specs = [
      { name: 'lost', cap: 10, retryAfterMs: 1000 },
      { name: 'gone', cap: 10, retryAfterMs: 1000 },
    ]
    const stale = () => q.sql(`update pgq.jobs set heartbeat = now() - interval '5 seconds' where status = 'picked'`)
    expect((await q.consumer().claim(10, specs)).map((j) => [j.id, j.attempts, j.maxAttempts])).toEqual([
      [lost, 1, 2],
      [gone, 1, 1],
    ])
    await stale()
    // 'lost' has one attempt left: rescued (its second); 'gone' has none: dropped.
    expect((await q.consumer().claim(10, specs)).map((j) => [j.id, j.attempts])).toEqual([[lost, 2]])
    await stale()
    expect(await q.consumer().claim(10, specs)).toEqual([])
    expect(await q.sql(`select id::int, status::text, attempts, rescues from pgq.jobs`)).toEqual([{ id: lost, status: 'failed', attempts: 2, rescues: 2 }])
    const log = await q.sql(`select job_id::int as job, status::text, traceback from pgq.log order by id`)
    expect(log.map((r) => [r.job, r.status, (r.traceback as { name: string }).name])).toEqual([
      [gone, 'exception', 'WorkerLost'],
      [lost, 'failed', 'WorkerLost'],
    ])
    expect((log[1]!.traceback as { message: string }).message).toBe(
      'its worker was lost 2 time(s) (no heartbeat) and no attempts are left (2 of 2 used)',
    )
    // Both endings count in the statistics, as every finishing statement's do.
    const counted = await q.sql(`select entrypoint, status::text, sum(count)::int as n from pgq.statistics group by 1, 2 order by 1`)
    expect(counted).toEqual([
      { entrypoint: 'gone', status: 'exception', n: 1 },
      { entrypoint: 'lost', status: 'failed', n: 1 },
    ])
  })

  it('keeps its cached plans index scans, never compiled, when the table grows after a session first claimed on it', async () => {
    // claim_jobs plans once per session. Planned on a one-row table, 0006's claim scanned the
    // whole jobs table on every later claim of that session: its update by id and its
    // lost-job ending both. Migration 0010 plans them without seq scans.
    const client = new pg.Client({ connectionString: q.url })
    await client.connect()
    try {
      const notes: string[] = []
      client.on('notice', (n) => notes.push(n.message ?? ''))
      const specs = [{ name: 'lost', cap: 10, retryAfterMs: 1000 }]
      const worker = createConsumer({ driver: { query: (text: string, values: unknown[]) => client.query(text, values), preparedStatements: false } as unknown as PgqDriver, workerId: crypto.randomUUID(), checkSchema: false })
      await q.fleet().setEntrypointPolicy('lost', { maxAttempts: 1 })
      const loseFirst = (n: number) =>
        q.sql(`update pgq.jobs set status = 'picked', worker_id = gen_random_uuid(), attempts = 1, heartbeat = now() - interval '1 minute'
          where id in (select id from pgq.jobs where status = 'queued' order by id limit ${n})`)
      // The session's first claim ends a lost job on a one-row table: that is when it plans.
      await q.producer().enqueue('lost', null)
      await loseFirst(1)
      expect(await worker.claim(10, specs)).toEqual([])
      await q.sql(`insert into pgq.jobs (entrypoint, payload) select 'lost', null from generate_series(1, 20000)`)
      // No ANALYZE: it would invalidate the plan (autovacuum's comes only after many changes).
      await loseFirst(3)
      await client.query(`load 'auto_explain'`)
      // jit_above_cost 0: every statement would be compiled, but for the functions' own jit = off
      // (at a million rows their generic plans pass the default threshold; compiling took 50-90 ms a claim).
      await client.query(`set auto_explain.log_min_duration = 0; set auto_explain.log_nested_statements = on; set jit_above_cost = 0; set client_min_messages = log`)
      const claimed = await worker.claim(10, specs)
      await client.query('reset client_min_messages')
      expect(claimed).toHaveLength(10)
      // The three lost jobs ended (held: no attempts left), through plans that read them by id.
      expect(await q.sql(`select count(*)::int as n from pgq.jobs where status = 'failed'`)).toEqual([{ n: 4 }])
      const plans = notes.filter((n) => n.includes('plan:'))
      expect(plans.some((p) => p.includes('end_lost_jobs') || p.includes('WorkerLost'))).toBe(true)
      expect(plans.filter((p) => /Seq Scan on jobs/.test(p))).toEqual([])
      // Only the caller's statement may be compiled, never one inside claim_jobs() or end_lost_jobs().
      expect(plans.filter((p) => !p.includes('claim_jobs(') && p.includes('JIT:'))).toEqual([])
    } finally {
      await client.end()
    }
  })

  it('obeys the stored policy whatever the claimer declares: a paused entrypoint gives nothing, a limit holds', async () => {
    await q.producer().enqueueMany([1, 2, 3].map((n) => ({ entrypoint: 'p', payload: n })))
    await q.fleet().pause('p')
    expect(await q.consumer().claim(10, [open('p')])).toEqual([])
    await q.fleet().setEntrypointPolicy('p', { concurrencyLimit: 1 })
    await q.fleet().resume('p')
    expect(await q.consumer().claim(10, [open('p')])).toHaveLength(1)
    expect(await q.consumer().claim(10, [open('p')])).toHaveLength(0)
    expect(await q.fleet().entrypointPolicies(['p'])).toEqual([
      { name: 'p', concurrencyLimit: 1, requestsPerSecond: 0, paused: false, maxAttempts: null, onExhausted: null, retention: null },
    ])
  })

  it('never rescues a worker\'s own stale job for that worker (its event loop may only have stalled)', async () => {
    await q.fleet().setEntrypointPolicy('own', { maxAttempts: 5 })
    await q.producer().enqueue('own', 1)
    const spec = { name: 'own', cap: 10, retryAfterMs: 1000 }
    const worker = q.consumer()
    expect(await worker.claim(10, [spec])).toHaveLength(1)
    await q.sql(`update pgq.jobs set heartbeat = now() - interval '5 seconds'`)
    expect(await worker.claim(10, [spec])).toEqual([])
    expect(await q.consumer().claim(10, [spec])).toHaveLength(1)
  })

  it('does not rescue when the entrypoint has no retry timer', async () => {
    await q.producer().enqueue('norescue', 1)
    await q.consumer().claim(1, [open('norescue')])
    await q.sql(`update pgq.jobs set heartbeat = now() - interval '1 hour'`)
    expect(await q.consumer().claim(1, [open('norescue')])).toHaveLength(0)
  })

  it('rejects a bad claim request with a configuration error', async () => {
    const w = q.consumer()
    await expect(w.claim(0, [open('a')])).rejects.toThrow(/batchSize must be a positive integer/)
    await expect(w.claim(1, [{ ...open('a'), retryAfterMs: -1 }])).rejects.toThrow(/retryAfterMs must be a number >= 0/)
    await expect(w.claim(1, [open('a'), open('a')])).rejects.toThrow(/listed twice/)
  })
})
