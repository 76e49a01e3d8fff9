import * as v from 'valibot'
import { beforeEach, describe, expect, it } from 'vitest'
import { InvalidJobError } from '../src/errors.js'
import type { QueueEvents } from '../src/runtime/queue-events.js'
import type { Job } from '../src/types.js'
import { DRIVERS, useQueueDatabase } from './support/queue-database.js'
import { countingDriver, queueOn, sleep } from './support/runtime.js'

describe.each(DRIVERS)('continuous mode over %s', (driverName) => {
  const q = useQueueDatabase('continuous', driverName)
  beforeEach(() => q.reset())

  it('wakes on NOTIFY: a job runs long before the poll would find it', async () => {
    const started: number[] = []
    const queue = queueOn(q.driver).entrypoint('fast', () => void started.push(performance.now()))
    const worker = queue.start({ pollInterval: 60_000 })
    try {
      // The worker is listening and idle once a first job has run: it LISTENs before its first
      // claim, and after a claim that got less than it asked for it sleeps until woken.
      expect(await queue.waitFor(await queue.enqueue('fast', null), { timeout: 5000 })).toBe('successful')
      const enqueuedAt = performance.now()
      await queue.enqueue('fast', null)
      await expect.poll(() => started.length, { timeout: 5000 }).toBe(2)
      expect(started[1]! - enqueuedAt).toBeLessThan(5000)
    } finally {
      await worker.stop()
    }
  })

  it('polls for delayed jobs and runs them once due', async () => {
    const ran: number[] = []
    const queue = queueOn(q.driver).entrypoint('later', (job: Job<number>) => void ran.push(job.payload))
    const worker = queue.start({ pollInterval: 100 })
    try {
      await queue.enqueue('later', 1, { delay: 400 })
      await sleep(200)
      expect(ran).toEqual([])
      await expect.poll(() => ran, { timeout: 5000 }).toEqual([1])
    } finally {
      await worker.stop()
    }
  })

  it('retries with backoff up to maxAttempts, then holds the job with a traceback', async () => {
    const attempts: number[] = []
    const queue = queueOn(q.driver).entrypoint(
      'flaky',
      { maxAttempts: 3, backoff: { base: 50, factor: 2, jitter: 0.5 } },
      (job) => {
        attempts.push(job.attempts)
        throw 'not an Error' // a non-Error still gets a traceback
      },
    )
    const events: (keyof QueueEvents)[] = []
    queue.on('job:retried', () => events.push('job:retried'))
    queue.on('job:failed', () => events.push('job:failed'))
    const worker = queue.start({ pollInterval: 50 })
    try {
      const id = await queue.enqueue('flaky', null)
      expect(await queue.waitFor(id, { timeout: 10_000 })).toBe('failed')
      expect(attempts).toEqual([1, 2, 3])
      expect(events).toEqual(['job:retried', 'job:retried', 'job:failed'])
      const history = await queue.history(id)
      expect(history.map((h) => h.status)).toEqual(['queued', 'queued', 'failed'])
      expect(history[2]!.traceback).toMatchObject({ name: 'NonError(string)', message: 'not an Error', attempt: 3, workerId: worker.workerId, entrypoint: 'flaky' })
      const gaps = history.slice(1).map((h, i) => h.created.getTime() - history[i]!.created.getTime())
      expect(gaps[0]).toBeGreaterThanOrEqual(25) // 50 ms less up to half of jitter
      expect(gaps[1]).toBeGreaterThanOrEqual(50) // 100 ms less up to half
    } finally {
      await worker.stop()
    }
  })

  it("deletes the job after the last attempt with onFailure 'delete'", async () => {
    const queue = queueOn(q.driver).entrypoint('gone', { onFailure: 'delete' }, () => {
      throw new RangeError('bad range')
    })
    const worker = queue.start({ pollInterval: 50 })
    try {
      const id = await queue.enqueue('gone', null)
      expect(await queue.waitFor(id, { timeout: 5000 })).toBe('exception')
      expect(await q.sql('select * from pgq.jobs')).toEqual([])
      const [entry] = await queue.history(id)
      expect(entry!.traceback).toMatchObject({ name: 'RangeError', message: 'bad range' })
      expect(entry!.traceback!.stack).toContain('RangeError: bad range')
    } finally {
      await worker.stop()
    }
  })

  it('validates payloads with the entrypoint schema: a bad one fails at once, never retried', async () => {
    const seen: unknown[] = []
    const queue = queueOn(q.driver).entrypoint(
      'typed',
      { schema: v.object({ width: v.pipe(v.number(), v.minValue(1)) }), maxAttempts: 5 },
      (job) => void seen.push(job.payload.width),
    )
    const worker = queue.start({ pollInterval: 50 })
    try {
      const good = await queue.enqueue('typed', { width: 3 })
      const bad = await q.producer().enqueue('typed', { width: 'SECRET-wide' }) // an untyped producer can send anything
      expect(await queue.waitFor([good, bad], { timeout: 5000 })).toEqual(['successful', 'failed'])
      expect(seen).toEqual([3])
      const [entry] = await queue.history(bad)
      expect(entry!.attempts).toBe(1)
      expect(entry!.traceback).toMatchObject({ name: 'PayloadValidationError' })
      // valibot's message quotes the value it refused ('but received "SECRET-wide"'): cut out.
      expect(entry!.traceback!.message).toBe('payload rejected by the schema of "typed": width: Invalid type: Expected number but received <redacted>')
    } finally {
      await worker.stop()
    }
  })

  it('a queue that has the entrypoint refuses a payload its schema rejects at enqueue: InvalidJobError naming the field, nothing written', async () => {
    const queue = queueOn(q.driver).entrypoint('sized', { schema: v.object({ width: v.pipe(v.number(), v.minValue(1)) }) }, () => undefined)
    const one = await queue.enqueue('sized', { width: 'SECRET-wide' } as never).then(() => undefined, (e: unknown) => e)
    expect(one).toBeInstanceOf(InvalidJobError)
    expect(one).toMatchObject({ field: 'payload.width', index: undefined })
    expect((one as Error).message).toBe('payload rejected by the schema of "sized": width: Invalid type: Expected number but received <redacted>')
    const many = await queue
      .enqueueMany([{ entrypoint: 'sized', payload: { width: 2 } }, { entrypoint: 'sized', payload: { width: 0 } }])
      .then(() => undefined, (e: unknown) => e)
    expect(many).toMatchObject({ field: 'payload.width', index: 1 })
    const listed = queueOn(q.driver).entrypoint('listed', { schema: v.object({ items: v.array(v.object({ name: v.string() })) }) }, () => undefined)
    await expect(listed.enqueue('listed', { items: [{ name: 'a' }, { name: 2 }] } as never)).rejects.toMatchObject({ field: 'payload.items[1].name' })
    expect((many as Error).message).toMatch(/^job #1: payload rejected by the schema of "sized": width: /)
    const flow = await queue
      .flow([{ key: 'a', entrypoint: 'sized', payload: { width: 1 } }, { key: 'b', after: ['a'], entrypoint: 'sized', payload: {} as never }])
      .then(() => undefined, (e: unknown) => e)
    expect(flow).toMatchObject({ field: 'payload.width', index: 1 })
    expect(await q.sql('select count(*)::int as n from pgq.jobs')).toEqual([{ n: 0 }])
    expect(await queue.enqueue('sized', { width: 4 })).toBeGreaterThan(0)
    // Standard Schema allows a symbol in a path: named, not a TypeError from joining it.
    const symbolic = { '~standard': { version: 1, vendor: 'test', validate: () => ({ issues: [{ message: 'no', path: [Symbol('tag'), { key: 'x' }] }] }) } }
    const custom = queueOn(q.driver).entrypoint('custom', { schema: symbolic as never }, () => undefined)
    await expect(custom.enqueue('custom', {})).rejects.toMatchObject({ code: 'PGQ_INVALID_JOB', field: 'payload.Symbol(tag).x' })
  })

  it('heartbeats all running jobs of a worker with one statement per tick', async () => {
    const counting = countingDriver(driverName, q.url)
    try {
      const queue = queueOn(counting.driver, { checkSchema: false }).entrypoint('hold', () => sleep(700))
      await queue.enqueueMany(Array.from({ length: 5 }, () => ({ entrypoint: 'hold' as const, payload: null })))
      const worker = queue.start({ heartbeatInterval: 100, pollInterval: 5000 })
      await expect.poll(() => q.sql(`select count(*)::int as n from pgq.log`), { timeout: 5000 }).toEqual([{ n: 5 }])
      await worker.stop()
      const beats = counting.count(/set heartbeat = now\(\)/)
      expect(beats).toBeGreaterThanOrEqual(3)
      expect(beats).toBeLessThanOrEqual(12) // ~7 ticks of 100 ms, all five jobs in each
    } finally {
      await counting.driver.end()
    }
  })

  it('cancel from another process aborts the running handler through its signal', async () => {
    let aborted: unknown
    let started = false
    const queue = queueOn(q.driver).entrypoint('long', async (_job, { signal }) => {
      started = true
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()))
      aborted = signal.reason
    })
    const lost: QueueEvents['job:lost'][] = []
    queue.on('job:lost', (e) => lost.push(e))
    const worker = queue.start({ pollInterval: 50, heartbeatInterval: 50_000 })
    try {
      const id = await queue.enqueue('long', null)
      await expect.poll(() => started, { timeout: 5000 }).toBe(true)
      const otherProcess = q.producer() // its own producer, as another process would have
      const canceledAt = performance.now()
      await otherProcess.cancel([id])
      await expect.poll(() => aborted, { timeout: 1000 }).toBeInstanceOf(Error)
      expect(performance.now() - canceledAt).toBeLessThan(1000)
      expect(String((aborted as Error).message)).toMatch(/canceled/)
      expect(lost.map((e) => [e.job.id, e.reason])).toEqual([[id, 'canceled']])
      expect(await queue.waitFor(id, { timeout: 2000 })).toBe('canceled')
    } finally {
      await worker.stop()
    }
    // Counted as canceled, not as a run lost to another worker.
    expect(await worker.done).toMatchObject({ claimed: 1, canceled: 1, lost: 0 })
  })

  it('a handler that first reads its signal after the cancel finds it already aborted, with the reason', async () => {
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => (release = resolve))
    let seen: { aborted: boolean; reason: unknown } | undefined
    let started = false
    const queue = queueOn(q.driver).entrypoint('late_reader', async (_job, ctx) => {
      started = true
      await gate // ctx.signal is not touched before the cancel
      seen = { aborted: ctx.signal.aborted, reason: ctx.signal.reason }
    })
    const lost: QueueEvents['job:lost'][] = []
    queue.on('job:lost', (e) => lost.push(e))
    const worker = queue.start({ pollInterval: 50, heartbeatInterval: 50_000 })
    try {
      const id = await queue.enqueue('late_reader', null)
      await expect.poll(() => started, { timeout: 5000 }).toBe(true)
      await q.producer().cancel([id])
      await expect.poll(() => lost.length, { timeout: 2000 }).toBe(1)
      release()
      await expect.poll(() => seen, { timeout: 2000 }).toBeDefined()
      expect(seen!.aborted).toBe(true)
      expect(String((seen!.reason as Error).message)).toMatch(/canceled/)
    } finally {
      release()
      await worker.stop()
    }
  })

  it('stops gracefully on its AbortSignal: no new claims, running jobs finish, results flushed', async () => {
    const queue = queueOn(q.driver).entrypoint('work', () => sleep(300))
    await queue.enqueueMany(Array.from({ length: 3 }, () => ({ entrypoint: 'work' as const, payload: null })))
    const controller = new AbortController()
    const worker = queue.start({ batchSize: 1, maxConcurrentTasks: 2, signal: controller.signal, pollInterval: 50 })
    await expect.poll(() => q.sql(`select count(*)::int as n from pgq.jobs where status = 'picked'`), { timeout: 5000 }).toEqual([{ n: 2 }])
    controller.abort()
    const summary = await worker.done
    expect(summary).toMatchObject({ claimed: 2, succeeded: 2, stoppedBy: 'signal' })
    expect(await q.sql(`select status, count(*)::int as n from pgq.jobs group by status`)).toEqual([{ status: 'queued', n: 1 }])
    expect(await q.sql(`select count(*)::int as n from pgq.log where status = 'successful'`)).toEqual([{ n: 2 }])
  })

  it('a forced stop aborts running jobs and leaves them picked for stale rescue', async () => {
    const queue = queueOn(q.driver).entrypoint('stuck', { leaseTimeout: '1s', maxAttempts: 2 }, (_job, { signal }) => new Promise((r) => signal.addEventListener('abort', r)))
    const id = await queue.enqueue('stuck', null)
    const worker = queue.start({ pollInterval: 50 })
    await expect.poll(() => q.sql(`select status from pgq.jobs`), { timeout: 5000 }).toEqual([{ status: 'picked' }])
    const summary = await worker.stop({ force: true })
    expect(summary.stoppedBy).toBe('forced')
    expect(await q.sql(`select status from pgq.jobs where id = $1`, [id])).toEqual([{ status: 'picked' }])
    // Another worker rescues it once the heartbeat is older than the lease timeout.
    const rescued: number[] = []
    const other = queueOn(q.driver).entrypoint('stuck', { leaseTimeout: '1s', maxAttempts: 2 }, (job) => void rescued.push(job.attempts))
    const second = other.start({ pollInterval: 100 })
    try {
      await expect.poll(() => rescued, { timeout: 5000 }).toEqual([2])
    } finally {
      await second.stop()
    }
  })

  it('runs synchronous and asynchronous handlers alike, with ctx destructured', async () => {
    const seen: string[] = []
    const queue = queueOn(q.driver)
      .entrypoint('sync', { maxAttempts: 1 }, (job: Job<number>, { progress, signal, workerId, dependencies }) => {
        progress({ at: job.payload })
        seen.push(`sync ${job.payload} ${signal.aborted} ${typeof workerId} ${typeof dependencies}`)
        if (job.payload === 2) throw new Error('sync failure')
        return { double: job.payload * 2 }
      })
      .entrypoint('async', { maxAttempts: 1 }, async (job: Job<number>, { dependencies }) => {
        seen.push(`async ${job.payload} ${(await dependencies()).length}`)
        if (job.payload === 2) throw new Error('async failure')
        return { double: job.payload * 2 }
      })
    const worker = queue.start({ pollInterval: 50 })
    try {
      const ids = [await queue.enqueue('sync', 1), await queue.enqueue('sync', 2), await queue.enqueue('async', 1), await queue.enqueue('async', 2)]
      const statuses = await Promise.all(ids.map((id) => queue.waitFor(id, { timeout: 5000 })))
      expect(statuses).toEqual(['successful', 'failed', 'successful', 'failed'])
      expect(await queue.waitForResult(ids[0]!, { timeout: 5000 })).toEqual({ status: 'successful', result: { double: 2 } })
      expect(await queue.waitForResult(ids[2]!, { timeout: 5000 })).toEqual({ status: 'successful', result: { double: 2 } })
      expect(seen.sort()).toEqual(['async 1 0', 'async 2 0', 'sync 1 false string function', 'sync 2 false string function'])
      const tracebacks = await q.sql(`select traceback->>'message' as message from pgq.log where status = 'failed' order by job_id`)
      expect(tracebacks).toEqual([{ message: 'sync failure' }, { message: 'async failure' }])
    } finally {
      await worker.stop()
    }
  })

  it('a synchronous handler capped by workerConcurrency runs a backlog claim after claim, not poll after poll', async () => {
    let ran = 0
    const queue = queueOn(q.driver).entrypoint('one-at-a-time', { workerConcurrency: 1 }, () => void ran++)
    const ids = await queue.enqueueMany(Array.from({ length: 5 }, () => ({ entrypoint: 'one-at-a-time' as const, payload: null })))
    // The poll would come after a minute: each next claim is woken by the job that finished.
    const worker = queue.start({ pollInterval: 60_000 })
    try {
      for (const id of ids) expect(await queue.waitFor(id, { timeout: 5000 })).toBe('successful')
      expect(ran).toBe(5)
    } finally {
      await worker.stop()
    }
  })

  it('emits typed events for started and succeeded jobs', async () => {
    const seen: string[] = []
    const queue = queueOn(q.driver).entrypoint('e', () => undefined)
    queue.on('job:started', (e) => seen.push(`started ${e.job.entrypoint}`))
    queue.on('job:succeeded', (e) => seen.push(`succeeded ${e.job.entrypoint} ${e.durationMs >= 0}`))
    const worker = queue.start({ pollInterval: 50 })
    try {
      const id = await queue.enqueue('e', null)
      await queue.waitFor(id, { timeout: 5000 })
      expect(seen).toEqual(['started e', 'succeeded e true'])
    } finally {
      await worker.stop()
    }
  })
})
