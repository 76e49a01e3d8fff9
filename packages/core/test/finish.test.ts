import { beforeEach, describe, expect, it } from 'vitest'
import { backoffDelayMs, failureOf, tracebackOf } from '../src/queue/retry-policy.js'
import { DRIVERS, useQueueDatabase } from './support/queue-database.js'

const spec = (name: string) => ({ name, cap: 100, retryAfterMs: 0 })

describe.each(DRIVERS)('finishing jobs over %s', (driverName) => {
  const q = useQueueDatabase('finish', driverName)
  beforeEach(() => q.reset())

  async function claimOne(entrypoint = 'a', payload: unknown = {}) {
    await q.producer().enqueue(entrypoint, payload)
    const worker = q.consumer()
    const [job] = await worker.claim(1, [spec(entrypoint)])
    return { worker, job: job! }
  }

  it('completes a batch: rows leave the queue, one successful log row each', async () => {
    await q.producer().enqueueMany(Array.from({ length: 50 }, (_, i) => ({ entrypoint: 'a', payload: i })))
    const worker = q.consumer()
    const jobs = await worker.claim(50, [spec('a')])
    const done = await worker.complete(jobs.map((j) => j.id))
    expect(done.sort((x, y) => x - y)).toEqual(jobs.map((j) => j.id).sort((x, y) => x - y))
    expect(await q.sql('select count(*)::int as n from pgq.jobs')).toEqual([{ n: 0 }])
    expect(await q.sql(`select status, count(*)::int as n from pgq.log group by status`)).toEqual([{ status: 'successful', n: 50 }])
  })

  it('ignores completion from a worker that does not hold the job', async () => {
    const { worker, job } = await claimOne()
    expect(await q.consumer().complete([job.id])).toEqual([])
    expect(await worker.complete([job.id])).toEqual([job.id])
  })

  it('a batch of which some jobs are no longer held: only the held ones are finished and answered', async () => {
    await q.producer().enqueueMany(Array.from({ length: 4 }, (_, i) => ({ entrypoint: 'a', payload: i })))
    const worker = q.consumer()
    const jobs = await worker.claim(4, [spec('a')])
    const [gone, ...kept] = jobs.map((j) => j.id)
    await q.sql('update pgq.jobs set worker_id = gen_random_uuid() where id = $1', [gone])
    const done = await worker.complete([gone!, ...kept, kept[0]!]) // a repeated id is finished once
    expect(done.sort((x, y) => x - y)).toEqual(kept.sort((x, y) => x - y))
    expect(await q.sql('select id::int as id from pgq.jobs')).toEqual([{ id: gone }])
  })

  it('retries with exponential backoff until the maxAttempts stored on the job, then holds with the traceback', async () => {
    await q.fleet().setEntrypointPolicy('flaky', { maxAttempts: 2 })
    const { worker, job } = await claimOne('flaky')
    expect(job).toMatchObject({ attempts: 1, maxAttempts: 2, onExhausted: 'hold' })
    // Changed after enqueue: the job keeps what was stored when it was enqueued.
    await q.fleet().setEntrypointPolicy('flaky', { maxAttempts: 9 })
    const backoff = { base: '1m', jitter: 0 }
    const [retried] = await worker.fail([failureOf(job, new TypeError('first boom'), worker.workerId, backoff)])
    expect(retried).toEqual({ id: job.id, status: 'queued' })
    const [row] = await q.sql(`select status, attempts, execute_after > now() + interval '50 seconds' as later from pgq.jobs`)
    expect(row).toEqual({ status: 'queued', attempts: 1, later: true })

    await q.sql(`update pgq.jobs set execute_after = now()`)
    const [again] = await worker.claim(1, [spec('flaky')])
    expect(again!.attempts).toBe(2)
    expect(again!.maxAttempts).toBe(2)
    expect(await worker.fail([failureOf(again!, 'a plain string', worker.workerId, backoff)])).toEqual([{ id: job.id, status: 'failed' }])
    expect(await q.sql('select status, worker_id from pgq.jobs')).toEqual([{ status: 'failed', worker_id: null }])

    const history = await q.producer().history(job.id)
    expect(history.map((h) => h.status)).toEqual(['queued', 'failed'])
    expect(history[0]!.traceback).toMatchObject({ name: 'TypeError', message: 'first boom', attempt: 1, workerId: worker.workerId, entrypoint: 'flaky' })
    expect(history[0]!.traceback!.stack).toContain('first boom')
    expect(history[1]!.traceback).toMatchObject({ name: 'NonError(string)', message: 'a plain string', attempt: 2 })
    expect(await q.producer().status([job.id])).toEqual([{ id: job.id, status: 'failed', attempts: 2, inQueue: true, result: null, progress: null }])
  })

  it("drops a job after its last attempt with onFailure 'delete', logging an exception", async () => {
    await q.fleet().setEntrypointPolicy('a', { onExhausted: 'delete' })
    const { worker, job } = await claimOne()
    expect(job.onExhausted).toBe('delete')
    await worker.fail([failureOf(job, { code: 42 }, worker.workerId)])
    expect(await q.sql('select * from pgq.jobs')).toEqual([])
    const [entry] = await q.producer().history(job.id)
    expect(entry).toMatchObject({ status: 'exception', traceback: { name: 'NonError(object)', message: '{"code":42}' } })
    expect(await q.producer().status([job.id])).toEqual([{ id: job.id, status: 'exception', attempts: 1, inQueue: false, result: null, progress: null }])
  })

  it('requeues held jobs with fresh attempts and wakes listeners', async () => {
    const { worker, job } = await claimOne('held')
    await worker.fail([failureOf(job, new Error('x'), worker.workerId)])
    const session = await q.driver.listener()
    const events: string[] = []
    session.onNotification((_c, payload) => events.push(payload))
    await session.query('listen pgq_events')
    expect(await q.producer().requeue({ entrypoints: ['held'] })).toEqual([job.id])
    expect(await q.sql('select status, attempts from pgq.jobs')).toEqual([{ status: 'queued', attempts: 0 }])
    await expect.poll(() => events.map((e) => JSON.parse(e))).toEqual([{ type: 'insert', entrypoints: { held: 1 } }])
    expect(await q.producer().requeue({})).toEqual([])
    await session.close()
  })

  it('requeues the held jobs whose dedupe key is free, leaving held the one whose key is taken again', async () => {
    const producer = q.producer()
    const ids = await producer.enqueueMany(['r1', 'r2', 'r3'].map((key) => ({ entrypoint: 'held', payload: key, dedupeKey: key })))
    // Two more held jobs sharing a key, r4: the older is requeued, the other stays held.
    const twins = await producer.enqueueMany([{ entrypoint: 'held', payload: 'a', dedupeKey: 'r4' }])
    const worker = q.consumer()
    for (const job of await worker.claim(10, [spec('held')])) await worker.fail([failureOf(job, new Error('x'), worker.workerId)])
    const [twin] = await producer.enqueueMany([{ entrypoint: 'held', payload: 'b', dedupeKey: 'r4' }])
    for (const job of await worker.claim(10, [spec('held')])) await worker.fail([failureOf(job, new Error('x'), worker.workerId)])
    const reused = await producer.enqueue('held', 'again', { dedupeKey: 'r2' }) // r2's key is held again
    // Before, one taken key refused the whole requeue with DuplicateJobError (advising an option requeue has not).
    const requeued = await producer.requeue({ entrypoints: ['held'] })
    expect(requeued.sort((a, b) => a - b)).toEqual([ids[0], ids[2], twins[0]])
    expect((await producer.status([ids[1]!, twin!, reused!])).map((s) => s.status)).toEqual(['failed', 'failed', 'queued'])
  })

  it('heartbeats all running jobs of a worker in one statement', async () => {
    await q.producer().enqueueMany([1, 2, 3].map((n) => ({ entrypoint: 'a', payload: n })))
    const worker = q.consumer()
    const jobs = await worker.claim(3, [spec('a')])
    await q.sql(`update pgq.jobs set heartbeat = now() - interval '1 hour'`)
    const ids = jobs.map((j) => j.id)
    expect((await worker.heartbeat(ids)).sort()).toEqual([...ids].sort())
    expect(await q.sql(`select count(*)::int as n from pgq.jobs where heartbeat > now() - interval '1 minute'`)).toEqual([{ n: 3 }])
    expect(await q.consumer().heartbeat(ids)).toEqual([])
  })

  it('cancels queued and running jobs: gone from the queue, logged, and running ones announced', async () => {
    const producer = q.producer()
    const [queued, running] = await producer.enqueueMany([
      { entrypoint: 'q', payload: 1 },
      { entrypoint: 'r', payload: 2 },
    ])
    const worker = q.consumer()
    await worker.claim(1, [spec('r')])
    const session = await q.driver.listener()
    const events: unknown[] = []
    session.onNotification((_c, payload) => events.push(JSON.parse(payload)))
    await session.query('listen pgq_events')
    const canceled = await producer.cancel([queued!, running!, 999_999])
    expect(canceled.sort((a, b) => a.id - b.id)).toEqual([
      { id: queued, previousStatus: 'queued' },
      { id: running, previousStatus: 'picked' },
    ])
    await expect.poll(() => events).toEqual([{ type: 'cancel', ids: expect.arrayContaining([queued, running]) }])
    expect(await q.sql('select count(*)::int as n from pgq.jobs')).toEqual([{ n: 0 }])
    expect((await producer.status([queued!, running!])).map((s) => s.status)).toEqual(['canceled', 'canceled'])
    expect(await worker.complete([running!])).toEqual([]) // the worker's late result changes nothing
    await session.close()
  })

  it('reports queue size per entrypoint, status and priority', async () => {
    const producer = q.producer()
    await producer.enqueueMany([
      { entrypoint: 'a', payload: 1 },
      { entrypoint: 'a', payload: 2 },
      { entrypoint: 'a', payload: 3, priority: 5 },
      { entrypoint: 'b', payload: 4 },
    ])
    await q.consumer().claim(1, [spec('b')])
    expect(await producer.queueSize()).toEqual([
      { entrypoint: 'a', status: 'queued', priority: 0, count: 2 },
      { entrypoint: 'a', status: 'queued', priority: 5, count: 1 },
      { entrypoint: 'b', status: 'picked', priority: 0, count: 1 },
    ])
  })

  it('reads a job row while queued and null after it finished', async () => {
    const { worker, job } = await claimOne('look', { hello: 'world' })
    expect(await q.producer().job(job.id)).toMatchObject({ id: job.id, payload: { hello: 'world' }, status: 'picked' })
    await worker.complete([job.id])
    expect(await q.producer().job(job.id)).toBeNull()
  })
})

describe('retry policy', () => {
  it('grows the delay exponentially, caps it, and jitters down only', () => {
    const b = { base: 100, factor: 3, max: 1000, jitter: 0 }
    expect([1, 2, 3, 4].map((n) => backoffDelayMs(n, b))).toEqual([100, 300, 900, 1000])
    expect(backoffDelayMs(1, { base: 100, jitter: 0.5 }, () => 1)).toBe(50)
    expect(backoffDelayMs(1, { base: 100, jitter: 0.5 }, () => 0)).toBe(100)
    // Durations as text read the same.
    expect([1, 2, 3].map((n) => backoffDelayMs(n, { base: '1s', factor: 2, max: '3s', jitter: 0 }))).toEqual([1000, 2000, 3000])
  })

  it('describes a thrown undefined or a cyclic object without crashing', () => {
    const ctx = { attempt: 1, workerId: 'w', entrypoint: 'e' }
    expect(tracebackOf(undefined, ctx)).toMatchObject({ name: 'NonError(undefined)', message: 'undefined' })
    const cyclic: Record<string, unknown> = {}
    cyclic.me = cyclic
    expect(tracebackOf(cyclic, ctx)).toMatchObject({ name: 'NonError(object)', message: '[object Object]' })
  })
})
