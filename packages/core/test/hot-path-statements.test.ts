import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Executor, PgqDriver } from '../src/driver/driver.js'
import { neonServerlessDriver } from '../src/driver/neon-serverless/index.js'
import { nodePostgresDriver } from '../src/driver/node-postgres/index.js'
import { createConsumer } from '../src/queue/consumer.js'
import { createProducer } from '../src/runtime/producer.js'
import { neonPool, pgPool } from './setup/database.js'
import { DRIVERS, makeDriver, useQueueDatabase } from './support/queue-database.js'
import { countingDriver, queueOn } from './support/runtime.js'

const open = (name: string) => ({ name, cap: 100, retryAfterMs: 0 })

describe.each(DRIVERS)('hot-path statements over %s', (driverName) => {
  const q = useQueueDatabase('hot_path', driverName)
  /** One connection, so session state (prepared statements, settings) can be read back. */
  let single: PgqDriver
  const others: PgqDriver[] = []
  beforeAll(() => {
    single = makeDriver(driverName, q.url, 1)
  })
  afterAll(async () => {
    await single?.end()
    await Promise.all(others.map((d) => d.end()))
  })
  beforeEach(() => q.reset())

  /** A driver of this kind on one connection of its own; `preparedStatements` as given, else the driver's default. */
  const oneConnection = (preparedStatements?: boolean): PgqDriver => {
    const pool = driverName === 'node-postgres' ? pgPool(q.url, { max: 1 }) : neonPool(q.url, { max: 1 })
    const driver =
      driverName === 'node-postgres'
        ? nodePostgresDriver({ pool: pool as ReturnType<typeof pgPool>, preparedStatements })
        : neonServerlessDriver({ pool: pool as ReturnType<typeof neonPool>, preparedStatements })
    const owned = { ...driver, end: () => pool.end() }
    others.push(owned)
    return owned
  }
  /** The driver, its statements run in `tx` (one of its transactions). */
  const within = (driver: PgqDriver, tx: Executor): PgqDriver => ({ ...driver, query: (text, values, options) => tx.query(text, values, options) })

  const setting = async (db: Executor) => (await db.query(`select current_setting('synchronous_commit') as v`, [])).rows[0]!.v
  /** This session's prepared statements, as what they do (names are hashes of the text). */
  const prepared = async (db: Executor) =>
    (await db.query('select name, statement from pg_prepared_statements', [])).rows
      .map((r) => {
        expect(r.name).toMatch(/^pgq_[0-9a-z]+$/)
        const text = String(r.statement)
        return text.includes('claim_jobs') ? (text.includes('synchronous_commit') ? 'claim (async commit)' : 'claim') : text.trim().split(/\s+/).slice(0, 2).join(' ')
      })
      .sort()

  it('node-postgres prepares them once per connection by default, Neon does not; both give the same results', async () => {
    // The driver decides: no producer or consumer option turns it on or off.
    expect(single.preparedStatements).toBe(driverName === 'node-postgres')
    const producer = createProducer({ driver: single })
    const consumer = createConsumer({ driver: single, workerId: crypto.randomUUID() })
    const ids = [await producer.enqueue('a', 1), await producer.enqueue('a', 2)]
    const jobs = await consumer.claim(10, [open('a')])
    expect(jobs.map((j) => [j.id, j.payload, j.status, j.workerId, j.attempts])).toEqual(
      ids.map((id, i) => [id, i + 1, 'picked', consumer.workerId, 1]),
    )
    expect(await consumer.heartbeat(ids)).toEqual(ids)
    expect(await consumer.complete(ids)).toEqual(ids)
    const names = ['claim (async commit)', 'insert into']
    expect(await prepared(single)).toEqual(driverName === 'node-postgres' ? names : [])
    // A second round reuses them: same names, still right.
    const again = await producer.enqueue('a', 3)
    expect((await consumer.claim(10, [open('a')])).map((j) => j.id)).toEqual([again])
    expect(await prepared(single)).toEqual(driverName === 'node-postgres' ? names : [])
  })

  it('the driver option overrides its default: node-postgres off (behind an old PgBouncer) prepares nothing, Neon on prepares', async () => {
    const flipped = oneConnection(driverName !== 'node-postgres')
    expect(flipped.preparedStatements).toBe(driverName !== 'node-postgres')
    const id = await createProducer({ driver: flipped }).enqueue('a', 1)
    const consumer = createConsumer({ driver: flipped, workerId: crypto.randomUUID() })
    expect((await consumer.claim(10, [open('a')])).map((j) => j.id)).toEqual([id])
    expect(await consumer.complete([id])).toEqual([id])
    expect(await prepared(flipped)).toEqual(driverName === 'node-postgres' ? [] : ['claim (async commit)', 'insert into'])
  })

  it('a prepared claim keeps working after a migration adds a column under it', async () => {
    const preparing = oneConnection(true)
    const producer = createProducer({ driver: preparing })
    const consumer = createConsumer({ driver: preparing, workerId: crypto.randomUUID() })
    await producer.enqueue('a', 1)
    expect(await consumer.claim(10, [open('a')])).toHaveLength(1)
    expect(await prepared(preparing)).toEqual(['claim (async commit)', 'insert into'])
    await q.sql('alter table pgq.jobs add column added_later integer')
    try {
      const id = await producer.enqueue('a', 2)
      expect((await consumer.claim(10, [open('a')])).map((j) => j.id)).toEqual([id])
    } finally {
      await q.sql('alter table pgq.jobs drop column added_later')
    }
  })

  it('consumers whose claims differ in text (asyncCommit) share one connection without a name clash', async () => {
    const preparing = oneConnection(true)
    await createProducer({ driver: preparing }).enqueueMany([1, 2].map((n) => ({ entrypoint: 'a', payload: n })))
    const durable = createConsumer({ driver: preparing, workerId: crypto.randomUUID(), asyncCommit: false })
    const fast = createConsumer({ driver: preparing, workerId: crypto.randomUUID() })
    expect(await durable.claim(1, [open('a')])).toHaveLength(1)
    expect(await fast.claim(1, [open('a')])).toHaveLength(1)
    expect((await prepared(preparing)).filter((p) => p.startsWith('claim'))).toEqual(['claim', 'claim (async commit)'])
  })

  it('worker writes commit asynchronously, only in their own transaction; enqueue stays synchronous', async () => {
    const db = oneConnection()
    // The session's own default, whatever the server's (the embedded test server runs with it off).
    await db.query('set synchronous_commit = on', [])
    // Its schema check is done here: inside a transaction below, the one connection is taken.
    const producer = createProducer({ driver: db })
    await producer.enqueueMany([1, 2, 3].map((n) => ({ entrypoint: 'a', payload: n })))
    await producer.enqueue('b', 4)
    // Runs op in one transaction of db, then reads the setting the transaction is left with.
    const thenSetting = (op: (tx: Executor) => Promise<unknown>) =>
      db.transaction(async (tx) => {
        await op(tx)
        return setting(tx)
      })
    const inTx = (asyncCommit: boolean | undefined, op: (c: ReturnType<typeof createConsumer>) => Promise<unknown>) =>
      thenSetting((tx) => op(createConsumer({ driver: within(db, tx), workerId: crypto.randomUUID(), asyncCommit })))
    expect(await inTx(undefined, (c) => c.claim(1, [open('a')]))).toBe('off') // the default
    await q.fleet().setEntrypointPolicy('b', { concurrencyLimit: 5 })
    expect(await inTx(true, (c) => c.claim(1, [open('b')]))).toBe('off') // with advisory locks too
    expect(await inTx(false, (c) => c.claim(1, [open('a')]))).toBe('on')
    const [held] = await createConsumer({ driver: db, workerId: '00000000-0000-4000-8000-000000000001' }).claim(1, [open('a')])
    expect(await setting(db)).toBe('on') // autocommit: the setting ended with the claim's transaction
    const owner = (driver: PgqDriver) => createConsumer({ driver, workerId: '00000000-0000-4000-8000-000000000001' })
    expect(await thenSetting((tx) => owner(within(db, tx)).heartbeat([held!.id]))).toBe('off')
    expect(await thenSetting((tx) => owner(within(db, tx)).complete([held!.id]))).toBe('off')
    await producer.enqueue('c', 6)
    const [failing] = await owner(db).claim(1, [open('c')])
    const failure = { id: failing!.id, action: { kind: 'hold' as const }, traceback: { name: 'Error', message: 'x', stack: null, attempt: 1, workerId: 'w', entrypoint: 'c' } }
    expect(await thenSetting((tx) => owner(within(db, tx)).fail([failure]))).toBe('off')
    // Enqueue, on the driver's statements or as the caller's { tx }, stays synchronous.
    expect(await thenSetting((tx) => createProducer({ driver: within(db, tx) }).enqueue('a', 5))).toBe('on')
    expect(await thenSetting((tx) => producer.enqueue('a', 7, { tx }))).toBe('on')
  })
})

describe.each(DRIVERS)('a drain invocation over %s', (driverName) => {
  const q = useQueueDatabase('drain_trips', driverName)
  beforeEach(async () => {
    await q.reset()
    await q.sql('truncate pgq.statistics, pgq.leases')
  })

  it('takes three statements for one batch: registration, the claim, the last write with its look', async () => {
    const producer = createProducer({ driver: q.driver })
    const run = async (jobs: number, batchSize: number) => {
      await producer.enqueueMany(Array.from({ length: jobs }, (_, i) => ({ entrypoint: 'noop', payload: i })))
      const counting = countingDriver(driverName, q.url)
      try {
        const queue = queueOn(counting.driver).entrypoint('noop', () => undefined)
        const summary = await queue.drain({ batchSize, timeBudget: 20_000 })
        return { summary, statements: counting.statements.map((s) => s.trim().split(/\s+/).slice(0, 3).join(' ')) }
      } finally {
        await counting.driver.end()
      }
    }
    // The first drain learns the duration (one job first) and prunes once (its lease then holds for a minute).
    expect((await run(10, 10)).summary).toMatchObject({ succeeded: 10, remaining: 0 })
    for (const [jobs, batchSize] of [[1, 1], [10, 10], [7, 10], [100, 100]] as const) {
      const { summary, statements } = await run(jobs, batchSize)
      expect(summary).toMatchObject({ succeeded: jobs, remaining: 0, stoppedBy: 'empty' })
      expect(statements, `${jobs} jobs, batchSize ${batchSize}`).toEqual([
        expect.stringMatching(/^with declared as/),
        expect.stringMatching(/^select '\[' \|\|$/),
        expect.stringMatching(/^with succeeded as/),
      ])
    }
    // Jobs that arrive faster than one batch: it claims again, and still looks only at the end.
    const { summary, statements } = await run(25, 10)
    expect(summary).toMatchObject({ succeeded: 25, remaining: 0 })
    expect(statements.filter((s) => s.startsWith('with declared'))).toHaveLength(1)
    expect(statements.filter((s) => s === "select '[' ||")).toHaveLength(3)
  })
})
