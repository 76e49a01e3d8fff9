// A parent that fails for good ends everything downstream of it (fail_dependents), at any
// depth. A child linked to one of those descendants while the cascade runs must end too:
// either the cascade sees its dependency row, or its link sees the descendant failed. Here
// the cascade is a handler's failure with no attempts left, a cancel, and a worker lost with
// no attempts left (drizzle/0012 makes fail_dependents lock each level before reading the next).
import { beforeEach, describe, expect, it } from 'vitest'
import type { Queryable } from '../src/driver/driver.js'
import type { Traceback } from '../src/types.js'
import { neonPool, pgPool } from './setup/database.js'
import { DRIVERS, useQueueDatabase } from './support/queue-database.js'
import { queueOn } from './support/runtime.js'

describe.each(DRIVERS)('dependency cascades racing links, over %s', (driverName) => {
  const q = useQueueDatabase('dependency_race', driverName)
  beforeEach(() => q.reset())

  const traceback = (id: number): Traceback => ({ name: 'Error', message: 'no', stack: null, attempt: 1, workerId: 'w', entrypoint: 'bad', jobId: id })
  const stale = [{ name: 'bad', cap: 10, retryAfterMs: 1000 }]

  // p <- c1 <- c2, where c2 is linked to c1 in a transaction left open (its lock on c1 held, its
  // row uncommitted) until the cascade from p is waiting for that lock.
  it.each([
    ['a handler failing with no attempts left', 'fail'],
    ['a cancel', 'cancel'],
    ['a worker lost with no attempts left', 'lost'],
  ] as const)('ends a grandchild linked while %s cascades', async (_name, kind) => {
    const producer = q.producer()
    const consumer = q.consumer()
    const p = await producer.enqueue('bad', null)
    const c1 = await producer.enqueue('child', null, { dependsOn: [p] })
    if (kind !== 'cancel') expect(await consumer.claim(1, stale)).toHaveLength(1)
    if (kind === 'lost') await q.sql(`update pgq.jobs set heartbeat = now() - interval '5 seconds' where id = $1`, [p])
    const cascade = {
      fail: () => consumer.fail([{ id: p, traceback: traceback(p), action: { kind: 'hold' } }]),
      cancel: () => producer.cancel([p]),
      lost: () => q.consumer().claim(10, stale), // another worker's claim ends p: WorkerLost
    }[kind]

    const pool = driverName === 'node-postgres' ? pgPool(q.url, { max: 1 }) : neonPool(q.url, { max: 1 })
    const client: Queryable & { release(): void } = await pool.connect()
    try {
      await client.query('begin')
      const c2 = await producer.enqueue('child', null, { dependsOn: [c1], tx: client })
      const [{ pid }] = (await client.query('select pg_backend_pid() as pid')).rows as [{ pid: number }]
      const running = cascade()
      // The cascade has read p's children and now waits for c1, which the link holds.
      await expect
        .poll(async () => (await q.sql('select count(*)::int as n from pg_stat_activity where $1 = any(pg_blocking_pids(pid))', [pid]))[0], {
          timeout: 10_000,
          interval: 5,
        })
        .toEqual({ n: 1 })
      await client.query('commit')
      await running

      expect((await producer.status([c1, c2])).map((s) => s.status)).toEqual(['failed', 'failed'])
      expect((await producer.history(c2)).at(-1)!.traceback).toMatchObject({ name: 'DependencyFailed', parentId: p })
      expect(await q.sql('select count(*)::int as n from pgq.job_dependencies')).toEqual([{ n: 0 }])
    } finally {
      client.release()
      await pool.end()
    }
  })

  // A later pass of the cascade locks a job with a lower id than one it holds, while a link
  // locks its parents in id order: PostgreSQL breaks the deadlock by rolling one side back.
  // p <- a <- c, p <- b <- d; the link of g to [c, b] holds c and waits for b, the cascade
  // holds b and wants c. Before, cancel() rejected with a raw 40P01 and p stayed queued.
  it('a cascade that deadlocks with a link starts over, and both go through', async () => {
    const producer = q.producer()
    const p = await producer.enqueue('child', null, { delay: '1h' })
    const a = await producer.enqueue('child', null, { dependsOn: [p] })
    const pool = pgPool(q.url, { max: 3 })
    const [t2, t3, t4] = await Promise.all([pool.connect(), pool.connect(), pool.connect()])
    const pidOf = async (c: Queryable) => ((await c.query('select pg_backend_pid() as pid')).rows[0] as { pid: number }).pid
    // Until some session waits for `pid`'s locks; or until `pid` itself waits for someone's.
    const waitingFor = async (pid: number) => (await q.sql('select count(*)::int as n from pg_stat_activity where $1 = any(pg_blocking_pids(pid))', [pid]))[0]!.n as number
    const untilWaiting = (pid: number) => expect.poll(() => waitingFor(pid), { timeout: 10_000, interval: 5 }).toBeGreaterThanOrEqual(1)
    const blockedCount = async (pid: number) => (await q.sql('select cardinality(pg_blocking_pids($1))::int as n', [pid]))[0]!.n as number
    const untilBlocked = (pid: number) => expect.poll(() => blockedCount(pid), { timeout: 10_000, interval: 5 }).toBeGreaterThanOrEqual(1)
    try {
      await t2.query('begin')
      const c = await producer.enqueue('child', null, { dependsOn: [a], tx: t2 })
      const b = await producer.enqueue('child', null, { dependsOn: [p] })
      await t4.query('begin')
      const d = await producer.enqueue('child', null, { dependsOn: [b], tx: t4 })
      const canceling = producer.cancel([p])
      await untilWaiting(await pidOf(t2)) // the cascade's first pass waits for a
      await t2.query('commit')
      await untilWaiting(await pidOf(t4)) // ... then for b
      // The link waits longest before it looks for a deadlock: the cascade is the side rolled back.
      await t3.query('begin')
      await t3.query(`set local deadlock_timeout = '30s'`)
      const t3pid = await pidOf(t3)
      const linking = producer.enqueue('child', null, { dependsOn: [c, b], tx: t3 })
      await untilBlocked(t3pid) // the link holds c and waits for b too (behind the cascade)
      await t4.query('commit') // b goes to the cascade, whose next pass wants c: a deadlock
      const g = await linking // once the cascade's retry let go of b
      await t3.query('commit')
      expect(await canceling).toEqual([{ id: p, previousStatus: 'queued' }])
      expect((await producer.status([a, b, c, d, g])).map((s) => s.status)).toEqual(['failed', 'failed', 'failed', 'failed', 'failed'])
    } finally {
      for (const client of [t2, t3, t4]) client.release()
      await pool.end()
    }
  })

  // The reviewer's reproduction: chains enqueued one job after another while a running worker
  // fails their heads; no chain may end with its last job blocked.
  it('ends every chain p <- c1 <- c2 whose head fails while a worker runs', async () => {
    const queue = queueOn(q.driver)
      .entrypoint('bad', { maxAttempts: 1 }, () => {
        throw new Error('no')
      })
      .entrypoint('child', () => undefined)
    const worker = queue.start({ pollInterval: 50 })
    const chains: [number, number, number][] = []
    try {
      // Three producers at once, 40 chains each.
      await Promise.all(
        Array.from({ length: 3 }, async () => {
          for (let i = 0; i < 40; i++) {
            const p = await queue.enqueue('bad', null)
            const c1 = await queue.enqueue('child', null, { dependsOn: [p] })
            const c2 = await queue.enqueue('child', null, { dependsOn: [c1] })
            chains.push([p, c1, c2])
          }
        }),
      )
      // Each head fails and its c1 with it; by then every c2 was linked and must have ended too.
      await queue.waitFor([...chains.map((c) => c[0]), ...chains.map((c) => c[1])], { timeout: 30_000 })
    } finally {
      await worker.stop()
    }
    const rows = await q.sql(`select count(*)::int as n from pgq.jobs where id = any($1::bigint[]) and status = 'blocked'`, [chains.map((c) => c[2])])
    expect({ chains: chains.length, blocked: rows[0]!.n }).toEqual({ chains: 120, blocked: 0 })
    expect(await q.sql('select count(*)::int as n from pgq.job_dependencies')).toEqual([{ n: 0 }])
  })
})
