// dependsOn: a job waits ('blocked') until every job it depends on has succeeded; finishing
// the last parent releases it in the same statement (link_dependencies, release_dependents
import { nodePostgresDriver } from '../src/driver/node-postgres/index.js'
// and fail_dependents in drizzle/0009). Flows enqueue a DAG of such jobs in one transaction.
import { beforeEach, describe, expect, it } from 'vitest'
import { InvalidJobError } from '../src/errors.js'
import type { Traceback } from '../src/types.js'
import { DRIVERS, makeDriver, useQueueDatabase } from './support/queue-database.js'
import { queueOn } from './support/runtime.js'

describe.each(DRIVERS)('dependencies, over %s', (driverName) => {
  const q = useQueueDatabase('dependencies', driverName)
  beforeEach(() => q.reset())
  const statusOf = async (id: number) => (await q.producer().status([id]))[0]!.status

  it('blocks a job until every parent succeeded, and releases it in the statement that finishes the last one', async () => {
    const done: string[] = []
    const queue = queueOn(q.driver)
      .entrypoint('parent', (job) => void done.push(`parent ${job.payload}`))
      .entrypoint('child', () => void done.push('child'))
    const [a, b] = await queue.enqueueMany([
      { entrypoint: 'parent', payload: 'a' },
      { entrypoint: 'parent', payload: 'b', delay: '1h' },
    ])
    const child = await queue.enqueue('child', null, { dependsOn: [a!, b!, a!] })
    expect(await statusOf(child)).toBe('blocked')
    expect(await q.sql(`select waiting_for, depends_on::int[] as depends_on from pgq.jobs where id = $1`, [child])).toEqual([
      { waiting_for: 2, depends_on: [a, b] },
    ])
    // a runs; b is not due: the child still waits for one.
    expect(await queue.drain({ timeBudget: 10_000 })).toMatchObject({ succeeded: 1 })
    expect(await q.sql(`select status::text, waiting_for from pgq.jobs where id = $1`, [child])).toEqual([{ status: 'blocked', waiting_for: 1 }])
    await q.sql(`update pgq.jobs set execute_after = now() where id = $1`, [b])
    // One drain: b succeeds, the child is queued by that same statement and claimed next.
    expect(await queue.drain({ timeBudget: 10_000 })).toMatchObject({ succeeded: 2 })
    expect(done).toEqual(['parent a', 'parent b', 'child'])
    expect(await q.sql('select count(*)::int as n from pgq.job_dependencies')).toEqual([{ n: 0 }])
  })

  it('wakes a listening worker when a job is released', async () => {
    const workerDriver = makeDriver(driverName, q.url, 4)
    const producer = q.producer()
    try {
      const started: number[] = []
      const worker = queueOn(workerDriver)
        .entrypoint('parent', () => undefined)
        .entrypoint('child', () => undefined)
      const childRan = new Promise<void>((resolve) => worker.on('job:started', ({ job }) => job.entrypoint === 'child' && resolve()))
      worker.on('job:started', ({ job }) => void started.push(job.id))
      const handle = worker.start({ pollInterval: '60s' }) // the poll cannot be what wakes it
      const parent = await producer.enqueue('parent', null, { delay: '1h' })
      const child = await producer.enqueue('child', null, { dependsOn: [parent] })
      await q.sql(`update pgq.jobs set execute_after = now() where id = $1`, [parent])
      await producer.enqueue('parent', null) // an insert event: the worker looks, and finds the parent due
      await childRan
      expect(started).toContain(child)
      await handle.stop()
    } finally {
      await workerDriver.end()
    }
  })

  it('fails or cancels the jobs downstream of a parent that failed for good, naming it', async () => {
    const queue = queueOn(q.driver)
      .entrypoint('parent', { maxAttempts: 1 }, () => {
        throw new Error('parent broke')
      })
      .entrypoint('child', () => undefined)
      .entrypoint('dropped', { onFailure: 'delete' }, () => undefined)
    const parent = await queue.enqueue('parent', null)
    const held = await queue.enqueue('child', null, { dependsOn: [parent] })
    const canceled = await queue.enqueue('child', null, { dependsOn: [parent], onParentFailure: 'cancel' })
    const grandchild = await queue.enqueue('child', null, { dependsOn: [held] })
    const dropped = await queue.enqueue('dropped', null, { dependsOn: [held] })
    expect(await queue.drain({ timeBudget: 10_000 })).toMatchObject({ failed: 1, succeeded: 0 })
    const states = await queue.status([parent, held, canceled, grandchild, dropped])
    expect(states.map((s) => s.status)).toEqual(['failed', 'failed', 'canceled', 'failed', 'exception'])
    const [last] = (await queue.history(grandchild)).slice(-1)
    expect(last!.traceback).toMatchObject({ name: 'DependencyFailed', parentId: parent, message: `job ${parent}, which it depends on, failed for good` } satisfies Partial<Traceback>)
    expect((await queue.history(canceled)).at(-1)).toMatchObject({ status: 'canceled', traceback: { name: 'DependencyFailed', parentId: parent } })
    // None of them ran, and waiters heard of the ends.
    expect(await q.sql(`select count(*)::int as n from pgq.log where status = 'successful'`)).toEqual([{ n: 0 }])
    expect(await queue.waitFor([canceled, dropped], { timeout: 5000 })).toEqual(['canceled', 'exception'])
    expect(await q.sql('select count(*)::int as n from pgq.job_dependencies')).toEqual([{ n: 0 }])
  })

  it('ends the children of a parent whose worker was lost with no attempts left', async () => {
    const producer = q.producer()
    const parent = await producer.enqueue('lost', null)
    const child = await producer.enqueue('child', null, { dependsOn: [parent] })
    const specs = [{ name: 'lost', cap: 10, retryAfterMs: 1000 }]
    expect(await q.consumer().claim(10, specs)).toHaveLength(1)
    await q.sql(`update pgq.jobs set heartbeat = now() - interval '5 seconds' where status = 'picked'`)
    expect(await q.consumer().claim(10, specs)).toEqual([]) // ends it: WorkerLost, held
    expect((await producer.status([parent, child])).map((s) => s.status)).toEqual(['failed', 'failed'])
    expect((await producer.history(child)).at(-1)!.traceback).toMatchObject({ name: 'DependencyFailed', parentId: parent })
  })

  it('ends a parent and a child of the same entrypoint and priority in one statistics row, on every path that ends a parent', async () => {
    // Before, the statement ending the parent failed ("ON CONFLICT DO UPDATE command cannot
    // affect row a second time"): the worker's results were never written, and a lost parent
    // made every claim of its entrypoint fail, for good.
    const queue = queueOn(q.driver).entrypoint('x', { maxAttempts: 1 }, (job: { payload: { fail: boolean } }) => {
      if (job.payload.fail) throw new Error('parent broke')
    })
    const failing = await queue.enqueue('x', { fail: true })
    const child = await queue.enqueue('x', { fail: false }, { dependsOn: [failing] })
    const bystander = await queue.enqueue('x', { fail: false })
    expect(await queue.drain({ timeBudget: 10_000 })).toMatchObject({ failed: 1, succeeded: 1 })
    expect((await queue.status([failing, child, bystander])).map((s) => s.status)).toEqual(['failed', 'failed', 'successful'])

    const canceledParent = await queue.enqueue('x', { fail: false }, { delay: '1h' })
    const canceledChild = await queue.enqueue('x', { fail: false }, { dependsOn: [canceledParent], onParentFailure: 'cancel' })
    expect(await queue.cancel([canceledParent])).toHaveLength(1)
    expect(await statusOf(canceledChild)).toBe('canceled')

    const lost = await queue.enqueue('x', { fail: false })
    const lostChild = await queue.enqueue('x', { fail: false }, { dependsOn: [lost] })
    const specs = [{ name: 'x', cap: 10, retryAfterMs: 1000 }]
    expect(await q.consumer().claim(10, specs)).toHaveLength(1)
    await q.sql(`update pgq.jobs set heartbeat = now() - interval '5 seconds' where status = 'picked'`)
    expect(await q.consumer().claim(10, specs)).toEqual([]) // ends it: WorkerLost, held
    expect((await queue.status([lost, lostChild])).map((s) => s.status)).toEqual(['failed', 'failed'])
    const counts = await q.sql(`select status::text, sum(count)::int as n from pgq.statistics where entrypoint = 'x' group by 1 order by 1`)
    expect(counts).toEqual([
      { status: 'canceled', n: 2 },
      { status: 'failed', n: 4 },
      { status: 'successful', n: 1 },
    ])
  })

  it('judges parents that already left the queue by their log, and refuses ids never issued', async () => {
    const queue = queueOn(q.driver)
      .entrypoint('ok', () => undefined)
      .entrypoint('quiet', { logSuccess: false }, () => undefined)
      .entrypoint('bad', { maxAttempts: 1, onFailure: 'delete' }, () => {
        throw new Error('no')
      })
      .entrypoint('child', () => undefined)
    const [ok, quiet, bad] = await queue.enqueueMany([
      { entrypoint: 'ok', payload: 1 },
      { entrypoint: 'quiet', payload: 2 },
      { entrypoint: 'bad', payload: 3 },
    ])
    await queue.drain({ timeBudget: 10_000 })
    // Succeeded (logged, or unlogged: no log row, an id issued): the child is due at once.
    const free = await queue.enqueue('child', null, { dependsOn: [ok!, quiet!] })
    expect(await statusOf(free)).toBe('queued')
    const doomed = await queue.enqueue('child', null, { dependsOn: [ok!, bad!] })
    expect(await statusOf(doomed)).toBe('failed')

    const before = await q.sql('select count(*)::int as n from pgq.jobs')
    const error = await queue.enqueue('child', null, { dependsOn: [ok!, 10_000_000] }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InvalidJobError)
    expect(error).toMatchObject({ field: 'dependsOn', message: expect.stringContaining('10000000') })
    expect(await q.sql('select count(*)::int as n from pgq.jobs')).toEqual(before)
    await expect(queue.enqueue('child', null, { dependsOn: [0] })).rejects.toMatchObject({ field: 'dependsOn' })
    await expect(queue.enqueue('child', null, { dependsOn: 'x' as never })).rejects.toMatchObject({ field: 'dependsOn' })
    await expect(queue.enqueue('child', null, { onParentFailure: 'ignore' as never })).rejects.toMatchObject({ field: 'onParentFailure' })
  })

  it('ends the children of a canceled parent, and a canceled child frees nothing else', async () => {
    const queue = queueOn(q.driver).entrypoint('p', () => undefined).entrypoint('c', () => undefined)
    const [p1, p2] = await queue.enqueueMany([
      { entrypoint: 'p', payload: 1 },
      { entrypoint: 'p', payload: 2 },
    ])
    const c1 = await queue.enqueue('c', null, { dependsOn: [p1!], onParentFailure: 'cancel' })
    const c2 = await queue.enqueue('c', null, { dependsOn: [p2!] })
    await queue.cancel([p1!])
    await queue.cancel([c2])
    expect((await queue.status([c1, c2])).map((s) => s.status)).toEqual(['canceled', 'canceled'])
    expect(await queue.drain({ timeBudget: 10_000 })).toMatchObject({ succeeded: 1 }) // p2 alone
  })

  it('holds a blocked job to its dedupe key, its entrypoint pause and concurrency limit', async () => {
    const queue = queueOn(q.driver).entrypoint('p', () => undefined).entrypoint('c', () => undefined)
    const p = await queue.enqueue('p', null, { delay: '1h' })
    await queue.enqueue('c', 1, { dependsOn: [p], dedupeKey: 'once' })
    await expect(queue.enqueue('c', 2, { dedupeKey: 'once' })).rejects.toThrow(/dedupe/)
    await queue.pause('c')
    await q.sql(`update pgq.jobs set execute_after = now() where id = $1`, [p])
    expect(await queue.drain({ timeBudget: 10_000 })).toMatchObject({ succeeded: 1 }) // the parent; c is paused
    expect(await q.sql(`select status::text from pgq.jobs where entrypoint = 'c'`)).toEqual([{ status: 'queued' }])
    await queue.resume('c')
    expect(await queue.drain({ timeBudget: 10_000 })).toMatchObject({ succeeded: 1 })
  })

  it('loses no child when parents finish while children are being linked to them', async () => {
    const workerDriver = makeDriver(driverName, q.url, 4)
    try {
      const worker = queueOn(workerDriver).entrypoint('p', () => undefined).entrypoint('c', () => undefined)
      const producer = q.producer()
      const parents = await producer.enqueueMany(Array.from({ length: 150 }, (_, i) => ({ entrypoint: 'p', payload: i })))
      // Children arrive one by one while a worker finishes their parents.
      const draining = worker.drain({ timeBudget: 20_000, batchSize: 5 })
      const children: number[] = []
      for (const parent of parents) children.push(await producer.enqueue('c', null, { dependsOn: [parent!] }))
      await draining
      await worker.drain({ timeBudget: 20_000 })
      expect(await q.sql(`select count(*)::int as n from pgq.jobs`)).toEqual([{ n: 0 }])
      const ran = await q.sql(`select count(*)::int as n from pgq.log where status = 'successful' and entrypoint = 'c'`)
      expect(ran).toEqual([{ n: children.length }])
    } finally {
      await workerDriver.end()
    }
  })
})

describe.each(DRIVERS)('flows, over %s', (driverName) => {
  const q = useQueueDatabase('flows', driverName)
  beforeEach(() => q.reset())

  it('enqueues a DAG in one transaction and runs each step after the steps it waits for', async () => {
    const order: string[] = []
    const queue = queueOn(q.driver).entrypoint('step', (job) => void order.push(job.payload as string))
    const ids = await queue.flow([
      { key: 'report', entrypoint: 'step', payload: 'report', after: ['left', 'right'] },
      { key: 'fetch', entrypoint: 'step', payload: 'fetch' },
      { key: 'left', entrypoint: 'step', payload: 'left', after: ['fetch'] },
      { key: 'right', entrypoint: 'step', payload: 'right', after: ['fetch'] },
    ])
    expect(Object.keys(ids).sort()).toEqual(['fetch', 'left', 'report', 'right'])
    const states = await queue.status([ids.fetch!, ids.left!, ids.right!, ids.report!])
    expect(states.map((s) => s.status)).toEqual(['queued', 'blocked', 'blocked', 'blocked'])
    await queue.drain({ timeBudget: 10_000 })
    expect(order[0]).toBe('fetch')
    expect(order.slice(1, 3).sort()).toEqual(['left', 'right'])
    expect(order[3]).toBe('report')
  })

  it('lets a step read the results of the steps it waited for, in order', async () => {
    const seen: unknown[] = []
    const queue = queueOn(q.driver)
      .entrypoint('count', (job) => ({ words: (job.payload as string).split(' ').length }))
      .entrypoint('sum', async (_job, ctx) => {
        const parents = await ctx.dependencies()
        seen.push(parents)
        return parents.reduce((total, p) => total + (p.result as { words: number }).words, 0)
      })
    const ids = await queue.flow([
      { key: 'a', entrypoint: 'count', payload: 'one two three' },
      { key: 'b', entrypoint: 'count', payload: 'four five' },
      { key: 'total', entrypoint: 'sum', payload: null, after: ['b', 'a'] },
    ])
    await queue.drain({ timeBudget: 10_000 })
    expect(seen).toEqual([
      [
        { id: ids.b, entrypoint: 'count', result: { words: 2 } },
        { id: ids.a, entrypoint: 'count', result: { words: 3 } },
      ],
    ])
    expect(await queue.waitForResult(ids.total!, { timeout: 5000 })).toEqual({ status: 'successful', result: 5 })
  })

  it('names the step, by its place in the array, of an error in any level; a key such as __proto__ is a key', async () => {
    const queue = queueOn(q.driver)
    const error = await queue
      .flow([
        { key: 'a', entrypoint: 's', payload: 1 },
        { key: 'b', entrypoint: 's', payload: 2, after: ['a'] },
        { key: 'c', entrypoint: 's', payload: 3, after: ['a'], dependsOn: [999_999] },
      ])
      .catch((e: unknown) => e)
    // Its level is [b, c]: c is job 1 there, step 2 here.
    expect(error).toMatchObject({ code: 'PGQ_INVALID_JOB', index: 2, field: 'dependsOn', message: expect.stringMatching(/^job #2: .*999999/) })
    expect(await q.sql('select count(*)::int as n from pgq.jobs')).toEqual([{ n: 0 }])
    const ids = await queue.flow([
      { key: '__proto__', entrypoint: 's', payload: 1 },
      { key: 'next', entrypoint: 's', payload: 2, after: ['__proto__'] },
    ])
    expect(Object.keys(ids)).toEqual(['__proto__', 'next'])
    expect(Object.getPrototypeOf(ids)).toBe(Object.prototype)
    expect(typeof ids.__proto__).toBe('number')
    const [child] = await q.sql('select depends_on from pgq.jobs where id = $1', [ids.next])
    expect((child!.depends_on as string[]).map(Number)).toEqual([ids.__proto__])
  })

  it('refuses a cycle, an unknown key or a repeated key, writing nothing', async () => {
    const queue = queueOn(q.driver)
    await expect(
      queue.flow([
        { key: 'a', entrypoint: 's', payload: 1, after: ['b'] },
        { key: 'b', entrypoint: 's', payload: 2, after: ['a'] },
      ]),
    ).rejects.toMatchObject({ field: 'after', message: expect.stringContaining('cycle') })
    await expect(queue.flow([{ key: 'a', entrypoint: 's', payload: 1, after: ['nope'] }])).rejects.toMatchObject({ field: 'after' })
    await expect(
      queue.flow([
        { key: 'a', entrypoint: 's', payload: 1 },
        { key: 'a', entrypoint: 's', payload: 2 },
      ]),
    ).rejects.toMatchObject({ field: 'key', index: 1 })
    await expect(
      queue.flow([{ key: 'a', entrypoint: 's', payload: 1, dedupe: { key: 'once', mode: 'throttle', window: '1h' } }]),
    ).rejects.toMatchObject({ field: 'dedupe.mode', index: 0 })
    // A bad step in a later level undoes the earlier ones.
    await expect(
      queue.flow([
        { key: 'a', entrypoint: 's', payload: 1 },
        { key: 'b', entrypoint: 's', payload: 2, priority: 1e9, after: ['a'] },
      ]),
    ).rejects.toMatchObject({ field: 'priority', index: 1 })
    expect(await q.sql('select count(*)::int as n from pgq.jobs')).toEqual([{ n: 0 }])
  })

  it("checks every step before its first statement: a later level's bad step is InvalidJobError even with the database unreachable", async () => {
    const unreachable = nodePostgresDriver({ connectionString: 'postgresql://postgres@127.0.0.1:1/none', connectTimeout: '1s' })
    try {
      const flow = queueOn(unreachable).flow([
        { key: 'a', entrypoint: 's', payload: 1 },
        { key: 'b', entrypoint: 's', payload: { when: new Date() }, after: ['a'] },
      ])
      await expect(flow).rejects.toBeInstanceOf(InvalidJobError)
      await expect(flow).rejects.toMatchObject({ field: 'payload.when', index: 1 })
    } finally {
      await unreachable.end()
    }
  })
})
