// Fleet policy stored in Postgres: registration, conflicts, pause/resume, attempts stored on
// the job, timeouts, unknown options, bounded events and one statement per result flush.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ConfigurationError } from '../src/errors.js'
import { createConsumer } from '../src/queue/consumer.js'
import { JobTimeoutError } from '../src/runtime/entrypoints.js'
import { parseNotification } from '../src/queue/notify-events.js'
import { ResultBuffer } from '../src/runtime/result-buffer.js'
import type { Job } from '../src/types.js'
import { DRIVERS, useQueueDatabase } from './support/queue-database.js'
import { countingDriver, queueOn, sleep } from './support/runtime.js'

describe.each(DRIVERS)('fleet policy over %s', (driverName) => {
  const q = useQueueDatabase('fleet', driverName)
  beforeEach(() => q.reset())
  afterEach(() => vi.restoreAllMocks())

  it('a queue registers what its entrypoints declare before its first statement; jobs store maxAttempts and onFailure', async () => {
    const queue = queueOn(q.driver).entrypoint('mail', { concurrencyLimit: 4, maxAttempts: 3, onFailure: 'delete' }, () => undefined)
    const id = await queue.enqueue('mail', {})
    expect(await q.sql('select name, concurrency_limit, max_attempts, on_exhausted::text, paused from pgq.entrypoints')).toEqual([
      { name: 'mail', concurrency_limit: 4, max_attempts: 3, on_exhausted: 'delete', paused: false },
    ])
    expect(await q.sql('select max_attempts, on_exhausted::text from pgq.jobs where id = $1', [id])).toEqual([{ max_attempts: 3, on_exhausted: 'delete' }])
    // A producer that knows no entrypoints still stores the fleet's policy on what it enqueues.
    const other = await q.producer().enqueue('mail', {})
    expect(await q.sql('select max_attempts from pgq.jobs where id = $1', [other])).toEqual([{ max_attempts: 3 }])
  })

  it('the last registration wins, leaves undeclared fields and the pause alone, and reports what it overwrote', async () => {
    await queueOn(q.driver).entrypoint('x', { concurrencyLimit: 5, requestsPerSecond: 10 }, () => undefined).entrypointPolicies()
    await q.fleet().pause('x')
    const conflicts: unknown[] = []
    const second = queueOn(q.driver).entrypoint('x', { concurrencyLimit: 2 }, () => undefined)
    second.on('policy:conflict', (c) => conflicts.push(c))
    expect(await second.entrypointPolicies(['x'])).toEqual([
      { name: 'x', concurrencyLimit: 2, requestsPerSecond: 10, paused: true, maxAttempts: null, onExhausted: null, retention: null },
    ])
    expect(conflicts).toEqual([{ entrypoint: 'x', field: 'concurrencyLimit', stored: 5, declared: 2 }])
    // Without a listener, a warning names the entrypoint and the field, and nothing else.
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    await queueOn(q.driver).entrypoint('x', { concurrencyLimit: 3 }, () => undefined).entrypointPolicies()
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0]![0])).toMatch(/entrypoint "x": concurrencyLimit was 2 .* declares 3/)
    // Declaring the same again writes nothing and reports nothing.
    const [before] = await q.sql('select updated from pgq.entrypoints')
    await queueOn(q.driver).entrypoint('x', { concurrencyLimit: 3 }, () => undefined).entrypointPolicies()
    expect(warn).toHaveBeenCalledTimes(1)
    expect(await q.sql('select updated from pgq.entrypoints')).toEqual([before])
  })

  it('a worker started before a limit was set learns of it, and claims after each job rather than per poll', { timeout: 40_000 }, async () => {
    let done = 0
    const queue = queueOn(q.driver).entrypoint('x', () => void done++)
    const worker = queue.start({ pollInterval: '3s' })
    try {
      await queue.enqueue('x', null)
      await expect.poll(() => done, { timeout: 10_000 }).toBe(1) // started and unlimited
      await queue.setEntrypointPolicy('x', { concurrencyLimit: 1 })
      await queue.enqueueMany(Array.from({ length: 20 }, () => ({ entrypoint: 'x' as const, payload: null })))
      // Before, it claimed one job per poll (3 s each: a minute for these); now it re-reads
      // the policy within seconds and claims again after each finished job.
      await expect.poll(() => done, { timeout: 20_000, interval: 50 }).toBe(21)
    } finally {
      await worker.stop()
    }
  })

  it('declaring a value nobody set reports no conflict', async () => {
    await queueOn(q.driver).entrypoint('fresh', () => undefined).entrypointPolicies() // declares nothing: stores 0 and nulls
    const conflicts: unknown[] = []
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    try {
      const declaring = queueOn(q.driver).entrypoint('fresh', { concurrencyLimit: 2, requestsPerSecond: 5, maxAttempts: 3 }, () => undefined)
      declaring.on('policy:conflict', (c) => conflicts.push(c))
      expect(await declaring.entrypointPolicies(['fresh'])).toMatchObject([{ concurrencyLimit: 2, requestsPerSecond: 5, maxAttempts: 3 }])
      await queueOn(q.driver).entrypoint('fresh', { concurrencyLimit: 2, requestsPerSecond: 5, maxAttempts: 3 }, () => undefined).entrypointPolicies()
      expect(conflicts).toEqual([])
      expect(warn).not.toHaveBeenCalled()
    } finally {
      warn.mockRestore()
    }
  })

  it('registrations racing on a new entrypoint never wipe a declared value', async () => {
    for (let i = 0; i < 15; i++) {
      const name = `race_${i}`
      const declaring = queueOn(q.driver).entrypoint(name, { concurrencyLimit: 2 }, () => undefined)
      // Overwriting the row the silent one may have made first is reported; not the point here.
      declaring.on('policy:conflict', () => undefined)
      const silent = queueOn(q.driver).entrypoint(name, () => undefined)
      await Promise.all([declaring.entrypointPolicies(), silent.entrypointPolicies()])
    }
    expect(await q.sql(`select distinct concurrency_limit from pgq.entrypoints where name like 'race_%'`)).toEqual([{ concurrency_limit: 2 }])
  })

  it('a driver ended before use makes no pool afterwards, and ends once', async () => {
    const { nodePostgresDriver } = await import('../src/driver/node-postgres/index.js')
    const driver = nodePostgresDriver({ connectionString: q.url })
    await driver.end()
    await driver.end()
    await expect(driver.query('select 1', [])).rejects.toThrow(/driver was ended/)
    await expect(driver.transaction(async (tx) => tx.query('select 1', []))).rejects.toThrow(/driver was ended/)
    await expect(driver.listener()).rejects.toThrow(/driver was ended/)
  })

  it('refuses unknown option names and bad policy values with a ConfigurationError that names them', async () => {
    const queue = queueOn(q.driver)
    expect(() => queue.entrypoint('a', { timout: '5s' } as never, () => undefined)).toThrow(/unknown entrypoint option "timout"; known: .*timeout/)
    expect(() => queue.entrypoint('a', { timeout: 0 }, () => undefined)).toThrow(ConfigurationError)
    expect(() => queue.entrypoint('a', { concurrencyLimit: 2 ** 31 }, () => undefined)).toThrow(/concurrencyLimit must be an integer from 1 to 2147483647/)
    expect(() => queue.entrypoint('a', { maxAttempts: 2 ** 31 }, () => undefined)).toThrow(/maxAttempts must be an integer from 1 to 2147483647/)
    expect(() => queue.entrypoint('a\u0000b', () => undefined)).toThrow(/entrypoint name contains U\+0000/)
    expect(() => queue.entrypoint('a\uD800', () => undefined)).toThrow(/entrypoint name is not valid Unicode/)
    expect(() => queueOn(q.driver).entrypoint('b', () => undefined).start({ batchsize: 10 } as never)).toThrow(/unknown start option "batchsize"/)
    expect(() => queueOn(q.driver).entrypoint('b', () => undefined).start({ pollIntervalMs: 10 } as never)).toThrow(/unknown start option "pollIntervalMs"/)
    await expect(queueOn(q.driver).entrypoint('b', () => undefined).drain({ timeBudgetMs: 10 } as never)).rejects.toThrow(/unknown drain option "timeBudgetMs"/)
    await expect(q.fleet().setEntrypointPolicy('a', { concurrencyLimit: -1 })).rejects.toThrow(/concurrencyLimit must be an integer >= 0/)
    await expect(q.fleet().setEntrypointPolicy('a', { maxAttempts: 0 })).rejects.toThrow(/maxAttempts must be an integer >= 1/)
    await expect(q.fleet().setEntrypointPolicy('a', { onExhausted: 'drop' as never })).rejects.toThrow(/onExhausted must be 'hold' or 'delete'/)
    await expect(q.fleet().setEntrypointPolicy('a', { limit: 1 } as never)).rejects.toThrow(/unknown policy field "limit"/)
    expect(await q.sql('select * from pgq.entrypoints')).toEqual([])
  })

  it('pause: no claims, running jobs finish, enqueue works; resume wakes a listening worker at once', async () => {
    const started: number[] = []
    let release: () => void = () => undefined
    const firstDone = new Promise<void>((r) => (release = r))
    const queue = queueOn(q.driver).entrypoint('p', { workerConcurrency: 1 }, async (job: Job<number>) => {
      started.push(job.payload)
      if (job.payload === 0) await firstDone
    })
    // The poll would take a minute: only NOTIFY can wake it quickly.
    const worker = queue.start({ pollInterval: '60s' })
    try {
      await queue.enqueue('p', 0)
      await expect.poll(() => started, { timeout: 5000 }).toEqual([0])
      await queue.pause('p')
      const paused = await queue.enqueueMany([1, 2, 3].map((n) => ({ entrypoint: 'p' as const, payload: n })))
      expect(paused).toHaveLength(3)
      release() // the running job finishes while paused
      await expect.poll(() => q.sql(`select count(*)::int as n from pgq.log where status = 'successful'`), { timeout: 5000 }).toEqual([{ n: 1 }])
      // A drain of a paused entrypoint finds nothing to do, and says none is claimable.
      const drain = await queueOn(q.driver).entrypoint('p', () => undefined).drain({ timeBudget: 2000 })
      expect(drain).toMatchObject({ claimed: 0, remaining: 0, stoppedBy: 'empty' })
      expect(started).toEqual([0])
      const resumedAt = performance.now()
      await queue.resume('p')
      await expect.poll(() => started.length, { timeout: 10_000 }).toBe(4)
      expect(performance.now() - resumedAt).toBeLessThan(10_000)
    } finally {
      await worker.stop()
    }
  })

  it('a timeout fails the attempt with a JobTimeoutError, retries per maxAttempts, and frees the slot of a handler that ignores it', async () => {
    const runs: { id: number; attempt: number }[] = []
    const lateResults: number[] = []
    const queue = queueOn(q.driver)
      .entrypoint('slow', { timeout: 150, maxAttempts: 2, backoff: { base: 10, jitter: 0 }, workerConcurrency: 1 }, async (job: Job<string>, { signal }) => {
        runs.push({ id: job.id, attempt: job.attempts })
        // It ignores its signal and finishes late: that result must not count.
        await sleep(600)
        lateResults.push(job.id)
        expect(signal.aborted).toBe(true)
        expect(signal.reason).toBeInstanceOf(JobTimeoutError)
      })
    const failed: string[] = []
    queue.on('job:failed', (e) => failed.push(e.traceback.name))
    const [a, b] = await queue.enqueueMany([
      { entrypoint: 'slow', payload: 'a' },
      { entrypoint: 'slow', payload: 'b' },
    ])
    const summary = await queue.drain({ timeBudget: '10s' })
    // workerConcurrency 1: each run's slot was freed at its timeout, not when the handler returned.
    expect(summary).toMatchObject({ claimed: 4, succeeded: 0, retried: 2, failed: 2 })
    expect(runs.map((r) => r.attempt).sort()).toEqual([1, 1, 2, 2])
    expect(failed).toEqual(['JobTimeoutError', 'JobTimeoutError'])
    const history = await q.producer().history(a!)
    expect(history.map((h) => [h.status, h.traceback?.name])).toEqual([
      ['queued', 'JobTimeoutError'],
      ['failed', 'JobTimeoutError'],
    ])
    expect(history[0]!.traceback!.message).toBe(`job ${a} (slow) ran past its timeout of 150 ms`)
    await expect.poll(() => lateResults.length, { timeout: 5000 }).toBe(4)
    expect(await q.sql(`select count(*)::int as n from pgq.log where status = 'successful'`)).toEqual([{ n: 0 }])
    expect(await q.producer().status([a!, b!])).toMatchObject([{ status: 'failed' }, { status: 'failed' }])
  })

  it('a flush writes successes and failures in one statement', async () => {
    const counting = countingDriver(driverName, q.url)
    try {
      await q.producer().enqueueMany([1, 2, 3, 4].map((n) => ({ entrypoint: 'f', payload: n })))
      const consumer = createConsumer({ driver: counting.driver, workerId: crypto.randomUUID(), checkSchema: false })
      const jobs = await consumer.claim(4, [{ name: 'f', cap: 4, retryAfterMs: 0 }])
      const buffer = new ResultBuffer({ consumer, maxBatch: 100, delayMs: 60_000, onError: (e) => { throw e } })
      buffer.complete(jobs[0]!, 1)
      buffer.complete(jobs[1]!, 1)
      const traceback = { name: 'Error', message: 'x', stack: null, attempt: 1, workerId: consumer.workerId, entrypoint: 'f' }
      buffer.fail(jobs[2]!, { id: jobs[2]!.id, action: { kind: 'hold' }, traceback })
      buffer.fail(jobs[3]!, { id: jobs[3]!.id, action: { kind: 'retry', delayMs: 1000 }, traceback })
      const before = counting.statements.length
      await buffer.flush()
      expect(counting.statements.slice(before).map((t) => t.trim().slice(0, 40))).toHaveLength(1)
      expect(await q.sql('select status::text, count(*)::int as n from pgq.log group by 1 order by 1')).toEqual([
        { status: 'failed', n: 1 },
        { status: 'queued', n: 1 },
        { status: 'successful', n: 2 },
      ])
    } finally {
      await counting.driver.end()
    }
  })

  it('events stay under NOTIFY\'s limit whatever the batch: 1,000 distinct 128-character entrypoints wake everyone', async () => {
    const session = await q.driver.listener()
    const events: string[] = []
    try {
      session.onNotification((_c, payload) => events.push(payload))
      await session.query('listen pgq_events')
      const names = Array.from({ length: 1000 }, (_, i) => `${String(i).padStart(4, '0')}${'e'.repeat(124)}`)
      const ids = await q.producer().enqueueMany(names.map((entrypoint) => ({ entrypoint, payload: null })))
      expect(ids).toHaveLength(1000)
      const few = await q.producer().enqueueMany([{ entrypoint: 'small', payload: 1 }, { entrypoint: 'small', payload: 2 }])
      await expect.poll(() => events.length, { timeout: 5000 }).toBeGreaterThanOrEqual(2)
      expect(parseNotification(events[0]!)).toEqual({ type: 'insert', entrypoints: 'all' })
      expect(parseNotification(events[1]!)).toEqual({ type: 'insert', entrypoints: { small: 2 } })
      // Cancel events for 1,002 ids come in chunks, each under 8,000 bytes, naming every id once.
      events.length = 0
      await q.producer().cancel([...ids, ...few])
      await expect.poll(() => events.flatMap((e) => (parseNotification(e) as { ids: number[] }).ids).length, { timeout: 5000 }).toBe(1002)
      expect(events.every((e) => Buffer.byteLength(e) < 8000)).toBe(true)
      expect(new Set(events.flatMap((e) => (parseNotification(e) as { ids: number[] }).ids)).size).toBe(1002)
    } finally {
      await session.close()
    }
  })

  it('a continuous worker wakes on an event too big to list entrypoints', async () => {
    const started: string[] = []
    const queue = queueOn(q.driver).entrypoint('target', (job) => void started.push(job.entrypoint))
    const worker = queue.start({ pollInterval: 60_000 })
    try {
      // Once its LISTEN is in place (and its first claim found nothing), only the event can wake it.
      await expect
        .poll(() => q.sql(`select count(*)::int as n from pg_stat_activity where datname = current_database() and query ilike 'listen%'`), { timeout: 5000 })
        .toEqual([{ n: 1 }])
      const names = Array.from({ length: 200 }, (_, i) => `other_${i}_${'x'.repeat(100)}`)
      await q.producer().enqueueMany([...names.map((entrypoint) => ({ entrypoint, payload: null })), { entrypoint: 'target', payload: null }])
      await expect.poll(() => started, { timeout: 10_000 }).toEqual(['target'])
    } finally {
      await worker.stop()
    }
  })
})
