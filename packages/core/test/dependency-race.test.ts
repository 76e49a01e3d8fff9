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
