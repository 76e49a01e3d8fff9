import { sql } from 'drizzle-orm'
import { drizzle as drizzleNeon } from 'drizzle-orm/neon-serverless'
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { PgqDriver } from '../src/driver/driver.js'
import { execute } from '../src/driver/executor.js'
import { createConsumer } from '../src/queue/consumer.js'
import { createProducer } from '../src/queue/producer.js'
import { neonPool, pgPool } from './setup/database.js'
import { DRIVERS, makeDriver, useQueueDatabase } from './support/queue-database.js'

const open = (name: string) => ({ name, cap: 100, retryAfterMs: 0 })

describe.each(DRIVERS)('hot-path statements over %s', (driverName) => {
  const q = useQueueDatabase('hot_path', driverName)
  /** One connection, so session state (prepared statements, settings) can be read back. */
  let single: PgqDriver
  beforeAll(() => {
    single = makeDriver(driverName, q.url, 1)
  })
  afterAll(() => single?.end())
  beforeEach(() => q.reset())

  const setting = async (db: PgqDriver['db']) => (await execute(db, sql`select current_setting('synchronous_commit') as v`))[0]!.v
  /** This session's prepared statements, as what they do (names are hashes of the text). */
  const prepared = async (db: PgqDriver['db']) =>
    (await execute(db, sql`select name, statement from pg_prepared_statements`))
      .map((r) => {
        expect(r.name).toMatch(/^pgq_[0-9a-z]+$/)
        const text = String(r.statement)
        return text.includes('claim_jobs') ? (text.includes('synchronous_commit') ? 'claim (async commit)' : 'claim') : text.trim().split(/\s+/).slice(0, 2).join(' ')
      })
      .sort()

  it('node-postgres prepares them once per connection by default, Neon does not; both give the same results', async () => {
    expect(single.preparedStatements).toBe(driverName === 'node-postgres')
    const options = { db: single.db, preparedStatements: single.preparedStatements }
    const producer = createProducer(options)
    const consumer = createConsumer({ ...options, workerId: crypto.randomUUID() })
    const ids = [await producer.enqueue('a', 1), await producer.enqueue('a', 2)]
    const jobs = await consumer.claim(10, [open('a')])
    expect(jobs.map((j) => [j.id, j.payload, j.status, j.workerId, j.attempts])).toEqual(
      ids.map((id, i) => [id, i + 1, 'picked', consumer.workerId, 1]),
    )
    expect(await consumer.heartbeat(ids)).toEqual(ids)
    expect(await consumer.complete(ids)).toEqual(ids)
    const names = ['claim (async commit)', 'insert into']
    expect(await prepared(single.db)).toEqual(driverName === 'node-postgres' ? names : [])
    // A second round reuses them: same names, still right.
    const again = await producer.enqueue('a', 3)
    expect((await consumer.claim(10, [open('a')])).map((j) => j.id)).toEqual([again])
    expect(await prepared(single.db)).toEqual(driverName === 'node-postgres' ? names : [])
  })

  it('a prepared claim keeps working after a migration adds a column under it', async () => {
    const options = { db: single.db, preparedStatements: true }
    const producer = createProducer(options)
    const consumer = createConsumer({ ...options, workerId: crypto.randomUUID() })
    await producer.enqueue('a', 1)
    expect(await consumer.claim(10, [open('a')])).toHaveLength(1)
    expect(await prepared(single.db)).toEqual(['claim (async commit)', 'insert into'])
    await q.sql('alter table pgq.jobs add column added_later integer')
    try {
      const id = await producer.enqueue('a', 2)
      expect((await consumer.claim(10, [open('a')])).map((j) => j.id)).toEqual([id])
    } finally {
      await q.sql('alter table pgq.jobs drop column added_later')
    }
  })

  it('consumers whose claims differ in text (asyncCommit) share one connection without a name clash', async () => {
    const options = { db: single.db, preparedStatements: true }
    await createProducer(options).enqueueMany([1, 2].map((n) => ({ entrypoint: 'a', payload: n })))
    const durable = createConsumer({ ...options, workerId: crypto.randomUUID(), asyncCommit: false })
    const fast = createConsumer({ ...options, workerId: crypto.randomUUID() })
    expect(await durable.claim(1, [open('a')])).toHaveLength(1)
    expect(await fast.claim(1, [open('a')])).toHaveLength(1)
    expect((await prepared(single.db)).filter((p) => p.startsWith('claim'))).toEqual(['claim', 'claim (async commit)'])
  })

  it('worker writes commit asynchronously, only in their own transaction; enqueue stays synchronous', async () => {
    const client = driverName === 'node-postgres' ? pgPool(q.url, { max: 1 }) : neonPool(q.url, { max: 1 })
    const db = driverName === 'node-postgres' ? drizzleNodePg({ client: client as ReturnType<typeof pgPool> }) : drizzleNeon({ client: client as ReturnType<typeof neonPool> })
    try {
      // The session's own default, whatever the server's (the embedded test server runs with it off).
      await execute(db, sql`set synchronous_commit = on`)
      await createProducer({ db }).enqueueMany([1, 2, 3].map((n) => ({ entrypoint: 'a', payload: n })))
      await createProducer({ db }).enqueue('b', 4)
      const thenSetting = (op: (tx: PgqDriver['db']) => Promise<unknown>) =>
        db.transaction(async (tx) => {
          await op(tx)
          return setting(tx)
        })
      const inTx = (asyncCommit: boolean | undefined, op: (c: ReturnType<typeof createConsumer>) => Promise<unknown>) =>
        thenSetting((tx) => op(createConsumer({ db: tx, workerId: crypto.randomUUID(), asyncCommit })))
      expect(await inTx(undefined, (c) => c.claim(1, [open('a')]))).toBe('off') // the default
      await q.fleet().setEntrypointPolicy('b', { concurrencyLimit: 5 })
      expect(await inTx(true, (c) => c.claim(1, [open('b')]))).toBe('off') // with advisory locks too
      expect(await inTx(false, (c) => c.claim(1, [open('a')]))).toBe('on')
      const [held] = await createConsumer({ db, workerId: '00000000-0000-4000-8000-000000000001' }).claim(1, [open('a')])
      expect(await setting(db)).toBe('on') // autocommit: the setting ended with the claim's transaction
      const owner = (tx: PgqDriver['db']) => createConsumer({ db: tx, workerId: '00000000-0000-4000-8000-000000000001' })
      expect(await thenSetting((tx) => owner(tx).heartbeat([held!.id]))).toBe('off')
      expect(await thenSetting((tx) => owner(tx).complete([held!.id]))).toBe('off')
      await createProducer({ db }).enqueue('c', 6)
      const [failing] = await owner(db).claim(1, [open('c')])
      const failure = { id: failing!.id, action: { kind: 'hold' as const }, traceback: { name: 'Error', message: 'x', stack: null, attempt: 1, workerId: 'w', entrypoint: 'c' } }
      expect(await thenSetting((tx) => owner(tx).fail([failure]))).toBe('off')
      expect(await thenSetting((tx) => createProducer({ db: tx }).enqueue('a', 5))).toBe('on')
    } finally {
      await client.end()
    }
  })
})
