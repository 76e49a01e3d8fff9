import { sql } from 'drizzle-orm'
import { drizzle as drizzleNeon } from 'drizzle-orm/neon-serverless'
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres'
import { beforeEach, describe, expect, it } from 'vitest'
import type { Queryable } from '../src/driver/driver.js'
import { DuplicateJobError, InvalidJobError } from '../src/errors.js'
import { createProducer } from '../src/runtime/producer.js'
import { neonPool, pgPool } from './setup/database.js'
import { DRIVERS, useQueueDatabase } from './support/queue-database.js'
import { countingDriver } from './support/runtime.js'

describe.each(DRIVERS)('enqueue over %s', (driverName) => {
  const q = useQueueDatabase('enqueue', driverName)
  beforeEach(() => q.reset())

  it('stores one job with its options and returns its id', async () => {
    const before = Date.now()
    const id = await q.producer().enqueue('send_email', { to: 'a@example.com' }, {
      priority: 7,
      headers: { traceId: 'abc' },
      dedupeKey: 'mail-1',
      delay: 60_000,
    })
    const [row] = await q.sql('select * from pgq.jobs where id = $1', [id])
    expect(row).toMatchObject({
      entrypoint: 'send_email',
      payload: { to: 'a@example.com' },
      priority: 7,
      headers: { traceId: 'abc' },
      dedupe_key: 'mail-1',
      status: 'queued',
      attempts: 0,
    })
    const delay = (row!.execute_after as Date).getTime() - before
    expect(delay).toBeGreaterThan(50_000)
    expect(delay).toBeLessThan(70_000)
  })

  it('takes an absolute Date for runAt', async () => {
    const at = new Date('2031-01-02T03:04:05.000Z')
    const id = await q.producer().enqueue('a', null, { runAt: at })
    const [row] = await q.sql('select execute_after from pgq.jobs where id = $1', [id])
    expect((row!.execute_after as Date).toISOString()).toBe(at.toISOString())
  })

  it("takes a delay as text: '30s' is 30 seconds from now", async () => {
    const before = Date.now()
    const id = await q.producer().enqueue('a', null, { delay: '30s' })
    const after = Date.now()
    const [row] = await q.sql('select execute_after from pgq.jobs where id = $1', [id])
    const at = (row!.execute_after as Date).getTime()
    // 2 s of slack for the database clock against ours.
    expect(at).toBeGreaterThanOrEqual(before + 30_000 - 2_000)
    expect(at).toBeLessThanOrEqual(after + 30_000 + 2_000)
  })

  it('refuses a number for runAt (field runAt): a delay is delay', async () => {
    const producer = q.producer()
    const error = await producer.enqueue('a', null, { runAt: Date.now() + 60_000 as never }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InvalidJobError)
    expect((error as InvalidJobError).field).toBe('runAt')
    expect((error as Error).message).toMatch(/runAt must be a Date, got a number \(for a time from now, pass delay/)
    const batchError = await producer.enqueueMany([{ entrypoint: 'a', payload: 1 }, { entrypoint: 'a', payload: 2, runAt: 60_000 as never }]).catch((e: unknown) => e)
    expect(batchError).toBeInstanceOf(InvalidJobError)
    expect({ field: (batchError as InvalidJobError).field, index: (batchError as InvalidJobError).index }).toEqual({ field: 'runAt', index: 1 })
    expect(await q.sql('select count(*)::int as n from pgq.jobs')).toEqual([{ n: 0 }])
  })

  it('refuses runAt and delay together (field runAt)', async () => {
    const producer = q.producer()
    const error = await producer.enqueue('a', null, { runAt: new Date(Date.now() + 60_000), delay: '30s' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InvalidJobError)
    expect((error as InvalidJobError).field).toBe('runAt')
    expect((error as Error).message).toMatch(/give runAt or delay, not both/)
    const batchError = await producer.enqueueMany([{ entrypoint: 'a', payload: 1, runAt: new Date(), delay: 0 }]).catch((e: unknown) => e)
    expect(batchError).toBeInstanceOf(InvalidJobError)
    expect({ field: (batchError as InvalidJobError).field, index: (batchError as InvalidJobError).index }).toEqual({ field: 'runAt', index: 0 })
    expect(await q.sql('select count(*)::int as n from pgq.jobs')).toEqual([{ n: 0 }])
  })

  it('enqueues a batch in one statement and returns ids in input order', async () => {
    const producer = q.producer()
    await producer.queueSize() // the one-time schema check happens here, not in the batch
    const counted = countingDriver(driverName, q.url)
    const counting = createProducer({ driver: counted.driver, schema: 'pgq', checkSchema: false })
    const jobs = Array.from({ length: 500 }, (_, i) => ({ entrypoint: i % 2 ? 'odd' : 'even', payload: { i } }))
    const ids = await counting.enqueueMany(jobs)
    expect(counted.statements).toHaveLength(1)
    await counted.driver.end()
    expect(ids).toHaveLength(500)
    const rows = await q.sql('select id, payload from pgq.jobs where id = any($1::bigint[])', [ids])
    const byId = new Map(rows.map((r) => [Number(r.id), (r.payload as { i: number }).i]))
    expect(ids.map((id) => byId.get(id))).toEqual(jobs.map((j) => j.payload.i))
  })

  it("joins the caller's Drizzle transaction: rolled back, nothing; committed, the job", async () => {
    const db = driverName === 'node-postgres' ? drizzleNodePg({ client: pgPool(q.url, { max: 2 }) }) : drizzleNeon({ client: neonPool(q.url, { max: 2 }) })
    const producer = q.producer()
    await expect(
      db.transaction(async (tx) => {
        await producer.enqueue('in_tx', { n: 1 }, { tx })
        await tx.execute(sql`select 1`)
        throw new Error('caller rolls back')
      }),
    ).rejects.toThrow('caller rolls back')
    expect(await q.sql(`select * from pgq.jobs where entrypoint = 'in_tx'`)).toHaveLength(0)
    const id = await db.transaction(async (tx) => producer.enqueue('in_tx', { n: 2 }, { tx }))
    expect(await q.sql(`select id from pgq.jobs where entrypoint = 'in_tx'`)).toEqual([{ id: String(id) }])
    await db.$client.end()
  })

  it("joins the caller's pg client inside BEGIN: rolled back, nothing; committed, the job", async () => {
    const pool = driverName === 'node-postgres' ? pgPool(q.url, { max: 2 }) : neonPool(q.url, { max: 2 })
    const producer = q.producer()
    // Both drivers' pool clients, as the one shape pgq takes for { tx }.
    const client: Queryable & { release(): void } = await pool.connect()
    try {
      await client.query('begin')
      const rolledBack = await producer.enqueue('in_client_tx', { n: 1 }, { tx: client })
      const [batchFirst] = await producer.enqueueMany([{ entrypoint: 'in_client_tx', payload: { n: 2 } }, { entrypoint: 'in_client_tx', payload: { n: 3 } }], { tx: client })
      // Inside the transaction, the jobs are there; outside, not yet.
      expect((await client.query(`select count(*)::int as n from pgq.jobs where entrypoint = 'in_client_tx'`)).rows).toEqual([{ n: 3 }])
      expect(await q.sql(`select * from pgq.jobs where entrypoint = 'in_client_tx'`)).toHaveLength(0)
      await client.query('rollback')
      expect(await q.sql(`select * from pgq.jobs where id = any($1::bigint[])`, [[rolledBack, batchFirst]])).toHaveLength(0)
      expect(await q.sql(`select * from pgq.jobs where entrypoint = 'in_client_tx'`)).toHaveLength(0)

      await client.query('begin')
      const id = await producer.enqueue('in_client_tx', { n: 4 }, { tx: client })
      await client.query('commit')
      expect(await q.sql(`select id, payload from pgq.jobs where entrypoint = 'in_client_tx'`)).toEqual([{ id: String(id), payload: { n: 4 } }])
    } finally {
      client.release()
      await pool.end()
    }
  })

  describe('dedupe keys', () => {
    it('rejects the whole batch naming every held key', async () => {
      const producer = q.producer()
      await producer.enqueueMany([
        { entrypoint: 'a', payload: 1, dedupeKey: 'k1' },
        { entrypoint: 'a', payload: 2, dedupeKey: 'k2' },
      ])
      const error = await producer
        .enqueueMany([
          { entrypoint: 'a', payload: 3 },
          { entrypoint: 'a', payload: 4, dedupeKey: 'k2' },
          { entrypoint: 'a', payload: 5, dedupeKey: 'k1' },
          { entrypoint: 'a', payload: 6, dedupeKey: 'k3' },
        ])
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(DuplicateJobError)
      expect((error as DuplicateJobError).dedupeKeys).toEqual(['k2', 'k1'])
      expect((error as Error).message).toMatch(/k2, k1/)
      expect(await q.sql('select count(*)::int as n from pgq.jobs')).toEqual([{ n: 2 }])
    })

    it("with onConflict 'skip' enqueues the rest and returns null in place of each duplicate", async () => {
      const producer = q.producer()
      await producer.enqueue('a', 1, { dedupeKey: 'k1' })
      const ids = await producer.enqueueMany(
        [
          { entrypoint: 'a', payload: 2, dedupeKey: 'k1' },
          { entrypoint: 'a', payload: 3, dedupeKey: 'k9' },
          { entrypoint: 'a', payload: 4 },
        ],
        { onConflict: 'skip' },
      )
      expect(ids[0]).toBeNull()
      expect(ids[1]).toEqual(expect.any(Number))
      expect(ids[2]).toEqual(expect.any(Number))
      expect(await producer.enqueue('a', 5, { dedupeKey: 'k9', onConflict: 'skip' })).toBeNull()
    })

    it('frees the key once the job finishes (success, cancel, held failure)', async () => {
      const producer = q.producer()
      const worker = q.consumer()
      const claimAll = () => worker.claim(10, [{ name: 'a', cap: 10, retryAfterMs: 0 }])

      await producer.enqueue('a', 1, { dedupeKey: 'k' })
      const [running] = await claimAll()
      await expect(producer.enqueue('a', 2, { dedupeKey: 'k' })).rejects.toBeInstanceOf(DuplicateJobError) // picked holds it
      await worker.complete([running!.id])
      const second = await producer.enqueue('a', 3, { dedupeKey: 'k' })

      await producer.cancel([second])
      const third = await producer.enqueue('a', 4, { dedupeKey: 'k' })
      expect(third).toBeGreaterThan(second)

      const [held] = await claimAll()
      await worker.fail([{ id: held!.id, action: { kind: 'hold' }, traceback: { name: 'E', message: 'm', stack: null, attempt: 1, workerId: worker.workerId, entrypoint: 'a' } }])
      await expect(producer.enqueue('a', 5, { dedupeKey: 'k' })).resolves.toEqual(expect.any(Number))
    })

    it('holds under concurrency: 50 enqueues of one key give one job and 49 errors', async () => {
      const producer = q.producer()
      await producer.queueSize()
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) => producer.enqueue('race', { i }, { dedupeKey: 'same' })),
      )
      const ok = results.filter((r) => r.status === 'fulfilled')
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      expect(ok).toHaveLength(1)
      expect(failed).toHaveLength(49)
      for (const f of failed) expect(f.reason).toBeInstanceOf(DuplicateJobError)
      expect(await q.sql(`select count(*)::int as n from pgq.jobs where dedupe_key = 'same'`)).toEqual([{ n: 1 }])
    })
  })

  describe('bad input gets a typed error and writes nothing', () => {
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic.self = cyclic
    const cases: [string, () => Parameters<ReturnType<typeof q.producer>['enqueueMany']>[0], RegExp][] = [
      ['an empty entrypoint', () => [{ entrypoint: '', payload: 1 }], /entrypoint must not be empty/],
      ['an over-long entrypoint', () => [{ entrypoint: 'x'.repeat(129), payload: 1 }], /at most 128/],
      ['a function in the payload', () => [{ entrypoint: 'a', payload: { f: () => 1 } }], /payload\.f is a function/],
      ['a bigint payload', () => [{ entrypoint: 'a', payload: { n: 10n } }], /payload\.n is a bigint/],
      ['a cyclic payload', () => [{ entrypoint: 'a', payload: cyclic }], /payload\.self refers back/],
      ['NaN inside the payload', () => [{ entrypoint: 'a', payload: [1, Number.NaN] }], /payload\[1\] is NaN/],
      ['an invalid date', () => [{ entrypoint: 'a', payload: 1, runAt: new Date('nope') }], /runAt is an Invalid Date/],
      ['a number for runAt', () => [{ entrypoint: 'a', payload: 1, runAt: 60_000 as never }], /runAt must be a Date/],
      ['runAt and delay together', () => [{ entrypoint: 'a', payload: 1, runAt: new Date(), delay: 5 }], /give runAt or delay, not both/],
      ['a negative delay', () => [{ entrypoint: 'a', payload: 1, delay: -5 }], /delay must be >= 0/],
      ['an unreadable delay', () => [{ entrypoint: 'a', payload: 1, delay: 'soonish' }], /delay must be a duration/],
      ['a NaN priority', () => [{ entrypoint: 'a', payload: 1, priority: Number.NaN }], /priority must be an integer/],
      ['a fractional priority', () => [{ entrypoint: 'a', payload: 1, priority: 1.5 }], /priority must be an integer/],
      ['a priority out of range', () => [{ entrypoint: 'a', payload: 1, priority: 40_000 }], /from -32768 to 32767/],
      ['an empty batch', () => [], /batch is empty/],
      [
        'one dedupe key twice in a batch',
        () => [
          { entrypoint: 'a', payload: 1, dedupeKey: 'd' },
          { entrypoint: 'a', payload: 2 },
          { entrypoint: 'a', payload: 3, dedupeKey: 'd' },
        ],
        /job #3: dedupeKey "d" is also used by job #1/,
      ],
    ]
    it.each(cases)('%s', async (_name, jobs, message) => {
      const good = { entrypoint: 'fine', payload: { ok: true } }
      const batch = jobs()
      const error = await q
        .producer()
        .enqueueMany(batch.length ? [good, ...batch] : batch)
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(InvalidJobError)
      expect((error as Error).message).toMatch(message)
      expect(await q.sql('select count(*)::int as n from pgq.jobs')).toEqual([{ n: 0 }])
    })
  })

  it('sends one insert event per statement with counts per entrypoint', async () => {
    const session = await q.driver.listener()
    const events: unknown[] = []
    session.onNotification((channel, payload) => events.push({ channel, ...JSON.parse(payload) }))
    await session.query('listen pgq_events')
    await q.producer().enqueueMany([
      { entrypoint: 'a', payload: 1 },
      { entrypoint: 'b', payload: 2 },
      { entrypoint: 'a', payload: 3 },
    ])
    await expect.poll(() => events, { timeout: 5000 }).toEqual([{ channel: 'pgq_events', type: 'insert', entrypoints: { a: 2, b: 1 } }])
    await session.query('unlisten *')
    await session.close()
  })
})
