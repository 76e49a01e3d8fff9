// Dedupe modes beyond raise and skip: replace, debounce and throttle, each done by the one
// enqueue statement (INSERT ... ON CONFLICT, dedupe_windows for throttle), and each exact
// under 50 concurrent enqueues of one key. Times are the database's: no test sleeps; a
// window or a first enqueue is moved into the past in SQL instead.
import type pg from 'pg'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { PgqDriver } from '../src/driver/driver.js'
import { ConfigurationError, DuplicateJobError, InvalidJobError } from '../src/errors.js'
import { createProducer } from '../src/runtime/producer.js'
import { eventsChannel } from '../src/schema/schema-name.js'
import type { NewJob } from '../src/validation/job-input.js'
import { pgPool } from './setup/database.js'
import { DRIVERS, makeDriver, useQueueDatabase } from './support/queue-database.js'
import { countingDriver } from './support/runtime.js'

const open = (name: string) => ({ name, cap: 100, retryAfterMs: 0 })
const CONCURRENT = 50
const POOL = 10

describe.each(DRIVERS)('dedupe modes over %s', (driverName) => {
  const q = useQueueDatabase('dedupe_modes', driverName)
  /** The 50 racing enqueues go through a pool of their own, POOL connections. */
  let racers: PgqDriver
  let gatePool: pg.Pool
  beforeAll(() => {
    racers = makeDriver(driverName, q.url, POOL)
    racing = createProducer({ driver: racers })
    gatePool = pgPool(q.url, { max: 1 })
  })
  afterAll(async () => {
    await racers?.end()
    await gatePool?.end()
  })
  beforeEach(async () => {
    await q.reset()
    await q.sql('truncate pgq.dedupe_windows')
  })

  const producer = () => q.producer()
  const row = async (key: string) => {
    const rows = await q.sql(
      `select id::int, entrypoint, payload, priority, headers, status::text,
              extract(epoch from execute_after - now())::float8 as due_in_s,
              extract(epoch from execute_after - created)::float8 as after_created_s
       from pgq.jobs where dedupe_key = $1`,
      [key],
    )
    expect(rows.length, `jobs with key ${key}`).toBeLessThanOrEqual(1)
    return rows[0]
  }
  const jobCount = async () => Number((await q.sql('select count(*)::int as n from pgq.jobs'))[0]!.n)
  const windowOf = async (key: string) =>
    (await q.sql(`select extract(epoch from expires - now())::float8 as s from pgq.dedupe_windows where key = $1`, [key]))[0]?.s as number | undefined

  /**
   * Runs `CONCURRENT` enqueues at once over the racers' pool: a gate transaction holds the
   * key (a job row, or for throttle its window row) so every statement queues on it; once
   * a pool's worth wait on the lock, the gate rolls back and they race for the key.
   */
  async function race<T>(gate: string, params: unknown[], enqueue: (i: number) => Promise<T>): Promise<T[]> {
    const client = await gatePool.connect()
    try {
      await client.query('begin')
      await client.query(gate, params)
      const all = Promise.allSettled(Array.from({ length: CONCURRENT }, (_, i) => enqueue(i)))
      const deadline = Date.now() + 20_000
      for (;;) {
        const [{ n }] = (await q.sql(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)) as [{ n: number }]
        if (n >= POOL) break
        if (Date.now() > deadline) throw new Error(`only ${n} enqueues waited on the gate`)
        await new Promise((r) => setTimeout(r, 10))
      }
      await client.query('rollback')
      const settled = await all
      return settled.map((s) => {
        if (s.status === 'rejected') throw s.reason
        return s.value
      })
    } finally {
      client.release()
    }
  }
  const jobGate = `insert into pgq.jobs (entrypoint, dedupe_key) values ('gate', $1)`
  const windowGate = `insert into pgq.dedupe_windows (key, expires) values ($1, now() + interval '1 hour')`
  /** The racers' producer (made once: its schema check is done before the race). */
  let racing: ReturnType<typeof createProducer>
  const racer = () => racing

  describe('replace', () => {
    it('updates the queued job in place: payload and run time, priority and headers when given; same id', async () => {
      const p = producer()
      const first = await p.enqueue('mail', { v: 1 }, { dedupe: { key: 'r', mode: 'replace' }, priority: 5, headers: { h: 1 }, delay: '1h' })
      const before = (await q.sql(`select created from pgq.jobs where id = $1`, [first]))[0]!.created
      // No priority or headers: the holder's are kept. No run time: now.
      expect(await p.enqueue('mail', { v: 2 }, { dedupe: { key: 'r', mode: 'replace' } })).toBe(first)
      expect(await row('r')).toMatchObject({ id: first, payload: { v: 2 }, priority: 5, headers: { h: 1 }, status: 'queued' })
      expect((await row('r'))!.due_in_s).toBeLessThanOrEqual(0)
      expect(await p.enqueue('mail', { v: 3 }, { dedupe: { key: 'r', mode: 'replace' }, priority: -1, headers: { h: 2 }, delay: '10m' })).toBe(first)
      const after = (await row('r'))!
      expect(after).toMatchObject({ id: first, payload: { v: 3 }, priority: -1, headers: { h: 2 } })
      expect(after.due_in_s).toBeGreaterThan(599)
      expect(after.due_in_s).toBeLessThanOrEqual(600)
      expect((await q.sql(`select created from pgq.jobs where id = $1`, [first]))[0]!.created).toEqual(before)
      expect(await jobCount()).toBe(1)
      // The job runs with what it carries now.
      const [claimed] = await q.consumer().claim(10, [open('mail')])
      expect(claimed).toBeUndefined() // due in 10 minutes
      await p.enqueue('mail', { v: 4 }, { dedupe: { key: 'r', mode: 'replace' } })
      expect((await q.consumer().claim(10, [open('mail')])).map((j) => [j.id, j.payload])).toEqual([[first, { v: 4 }]])
    })

    it('with no holder it inserts; a job that finished no longer holds the key', async () => {
      const p = producer()
      const a = await p.enqueue('mail', 1, { dedupe: { key: 'r', mode: 'replace' } })
      const consumer = q.consumer()
      await consumer.claim(1, [open('mail')])
      await consumer.complete([a])
      const b = await p.enqueue('mail', 2, { dedupe: { key: 'r', mode: 'replace' } })
      expect(b).not.toBe(a)
      expect(await row('r')).toMatchObject({ id: b, payload: 2 })
    })

    it('leaves a running, blocked or other-entrypoint holder alone: onConflict decides (DuplicateJobError, or null with skip)', async () => {
      const p = producer()
      const running = await p.enqueue('mail', 'old', { dedupeKey: 'run' })
      await q.consumer().claim(1, [open('mail')])
      const parent = await p.enqueue('other', null, { delay: '1h' })
      const blocked = await p.enqueue('mail', 'old', { dedupeKey: 'blk', dependsOn: [parent] })
      const foreign = await p.enqueue('other', 'old', { dedupeKey: 'ep', delay: '1h' })
      for (const [key, id] of [['run', running], ['blk', blocked], ['ep', foreign]] as const) {
        for (const mode of ['replace', 'debounce'] as const) {
          const dedupe = mode === 'replace' ? { key, mode } : { key, mode, delay: '1s' }
          const error = await p.enqueue('mail', 'new', { dedupe }).catch((e: unknown) => e)
          expect(error, `${mode} of ${key}`).toBeInstanceOf(DuplicateJobError)
          expect((error as DuplicateJobError).dedupeKeys).toEqual([key])
          expect(await p.enqueue('mail', 'new', { dedupe, onConflict: 'skip' })).toBeNull()
          expect(await row(key)).toMatchObject({ id, payload: 'old' })
        }
      }
      expect(await jobCount()).toBe(4)
    })

    it('in a batch: each position gets the id carrying its payload; a raise undoes the updates and windows of the batch', async () => {
      const p = producer()
      const held = await p.enqueue('mail', 'old', { dedupeKey: 'held', delay: '1h' })
      const kept = await p.enqueue('mail', 'old', { dedupeKey: 'kept' })
      const ids = await p.enqueueMany([
        { entrypoint: 'mail', payload: 'plain' },
        { entrypoint: 'mail', payload: 'new', dedupe: { key: 'held', mode: 'replace' } },
        { entrypoint: 'mail', payload: 'fresh', dedupe: { key: 'fresh', mode: 'replace' } },
        { entrypoint: 'mail', payload: 'skipped', dedupe: { key: 'kept', mode: 'skip' } },
      ])
      expect(ids[1]).toBe(held)
      expect(ids[3]).toBeNull()
      expect(new Set([ids[0], ids[2], held]).size).toBe(3)
      expect(await row('held')).toMatchObject({ payload: 'new' })
      expect(await row('fresh')).toMatchObject({ id: ids[2], payload: 'fresh' })
      expect(await q.sql('select payload from pgq.jobs where id = $1', [ids[0]])).toEqual([{ payload: 'plain' }])
      // A row that raises (the default for a held key without a mode of its own) undoes the whole batch.
      const error = await p
        .enqueueMany([
          { entrypoint: 'mail', payload: 'newer', dedupe: { key: 'held', mode: 'replace' } },
          { entrypoint: 'mail', payload: 't', dedupe: { key: 'thr', mode: 'throttle', window: '1h' } },
          { entrypoint: 'mail', payload: 'x', dedupeKey: 'kept' },
        ])
        .catch((e: unknown) => e)
      expect((error as DuplicateJobError).dedupeKeys).toEqual(['kept'])
      expect(await row('held')).toMatchObject({ payload: 'new' })
      expect(await windowOf('thr')).toBeUndefined()
      expect(await row('kept')).toMatchObject({ id: kept, payload: 'old' })
    })

    it("inside the caller's transaction: the update and the window are undone with it", async () => {
      const p = producer()
      const id = await p.enqueue('mail', 'old', { dedupe: { key: 'tx', mode: 'replace' } })
      await q.driver
        .transaction(async (tx) => {
          expect(await p.enqueue('mail', 'new', { dedupe: { key: 'tx', mode: 'replace' }, tx })).toBe(id)
          expect(await p.enqueue('mail', 't', { dedupe: { key: 'w', mode: 'throttle', window: '1h' }, tx })).toEqual(expect.any(Number))
          throw new Error('roll back')
        })
        .catch(() => undefined)
      expect(await row('tx')).toMatchObject({ id, payload: 'old' })
      expect(await windowOf('w')).toBeUndefined()
    })

    it('wakes the workers when the replaced job is due now (as an insert does)', async () => {
      const p = producer()
      await p.enqueue('mail', 1, { dedupe: { key: 'w', mode: 'replace' }, delay: '1h' })
      const client = await gatePool.connect()
      try {
        const events: string[] = []
        const heard = new Promise<void>((resolve) =>
          client.on('notification', (n) => {
            events.push(n.payload ?? '')
            resolve()
          }),
        )
        await client.query(`listen "${eventsChannel('pgq')}"`)
        await p.enqueue('mail', 2, { dedupe: { key: 'w', mode: 'replace' } })
        let timer: NodeJS.Timeout | undefined
        await Promise.race([heard, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('no insert event')), 10_000)))])
        clearTimeout(timer)
        expect(JSON.parse(events[0]!)).toEqual({ type: 'insert', entrypoints: { mail: 1 } })
      } finally {
        await client.query('unlisten *')
        client.removeAllListeners('notification')
        client.release()
      }
    })

    it(`is exact under ${CONCURRENT} concurrent enqueues: one job, all given its id, its payload and run time from one of them`, async () => {
      const base = Date.now() + 3_600_000
      const ids = await race(jobGate, ['r50'], (i) => racer().enqueue('mail', { i }, { dedupe: { key: 'r50', mode: 'replace' }, runAt: new Date(base + i * 1000) }))
      expect(new Set(ids).size).toBe(1)
      const job = (await row('r50'))!
      expect(job.id).toBe(ids[0])
      const i = (job.payload as { i: number }).i
      expect(i).toBeGreaterThanOrEqual(0)
      expect(i).toBeLessThan(CONCURRENT)
      // The run time is the one enqueued with that payload: the two came from one update.
      const [{ at }] = (await q.sql(`select execute_after as at from pgq.jobs where id = $1`, [job.id])) as [{ at: Date }]
      expect(at.getTime()).toBe(base + i * 1000)
      expect(await jobCount()).toBe(1)
    })
  })

  describe('debounce', () => {
    it('runs delay after the latest enqueue, the payload the latest, never later than maxDelay after the first', async () => {
      const p = producer()
      const dedupe = { key: 'd', mode: 'debounce', delay: '10s', maxDelay: '60s' } as const
      const id = await p.enqueue('mail', { v: 1 }, { dedupe })
      let job = (await row('d'))!
      expect(job.after_created_s).toBeCloseTo(10, 3)
      // 30 s later (the first enqueue moved back): pushed to now + 10 s.
      await q.sql(`update pgq.jobs set created = created - interval '30s', execute_after = execute_after - interval '30s' where id = $1`, [id])
      expect(await p.enqueue('mail', { v: 2 }, { dedupe, priority: 3 })).toBe(id)
      job = (await row('d'))!
      expect(job).toMatchObject({ id, payload: { v: 2 }, priority: 3 })
      expect(job.due_in_s).toBeGreaterThan(9)
      expect(job.due_in_s).toBeLessThanOrEqual(10)
      // 55 s after the first: now + 10 s would pass created + 60 s, so that is when it runs.
      await q.sql(`update pgq.jobs set created = created - interval '25s', execute_after = execute_after - interval '25s' where id = $1`, [id])
      expect(await p.enqueue('mail', { v: 3 }, { dedupe })).toBe(id)
      job = (await row('d'))!
      expect(job).toMatchObject({ payload: { v: 3 }, priority: 3 })
      expect(job.after_created_s).toBeCloseTo(60, 3)
      // A shorter delay never brings it forward.
      expect(await p.enqueue('mail', { v: 4 }, { dedupe: { key: 'd', mode: 'debounce', delay: 0 } })).toBe(id)
      expect((await row('d'))!.after_created_s).toBeCloseTo(60, 3)
      // Without maxDelay there is no bound.
      await p.enqueue('mail', 5, { dedupe: { key: 'u', mode: 'debounce', delay: '1h' } })
      await q.sql(`update pgq.jobs set created = created - interval '10h' where dedupe_key = 'u'`)
      await p.enqueue('mail', 6, { dedupe: { key: 'u', mode: 'debounce', delay: '1h' } })
      expect((await row('u'))!.due_in_s).toBeCloseTo(3600, 0)
    })

    it(`is exact under ${CONCURRENT} concurrent enqueues: one job, its run time within delay..maxDelay of its creation`, async () => {
      const ids = await race(jobGate, ['d50'], (i) => racer().enqueue('mail', { i }, { dedupe: { key: 'd50', mode: 'debounce', delay: '10s', maxDelay: '30s' } }))
      expect(new Set(ids).size).toBe(1)
      const job = (await row('d50'))!
      expect(job.id).toBe(ids[0])
      expect((job.payload as { i: number }).i).toBeLessThan(CONCURRENT)
      expect(job.after_created_s).toBeGreaterThanOrEqual(10)
      expect(job.after_created_s).toBeLessThanOrEqual(30)
      expect(await jobCount()).toBe(1)
    })

    it(`never passes created + maxDelay under ${CONCURRENT} concurrent enqueues (maxDelay = delay: exactly there)`, async () => {
      const ids = await race(jobGate, ['dmax'], (i) => racer().enqueue('mail', { i }, { dedupe: { key: 'dmax', mode: 'debounce', delay: '10s', maxDelay: '10s' } }))
      expect(new Set(ids).size).toBe(1)
      expect((await row('dmax'))!.after_created_s).toBe(10)
    })
  })

  describe('throttle', () => {
    it('allows one job per key per window, even after that job finished; a throttled enqueue gives null', async () => {
      const p = producer()
      const dedupe = { key: 't', mode: 'throttle', window: '1h' } as const
      const first = await p.enqueue('mail', 1, { dedupe })
      expect(first).toEqual(expect.any(Number))
      expect(await windowOf('t')).toBeCloseTo(3600, 0)
      expect(await p.enqueue('mail', 2, { dedupe })).toBeNull() // not DuplicateJobError, though onConflict is 'error'
      const consumer = q.consumer()
      await consumer.claim(1, [open('mail')])
      await consumer.complete([first!])
      expect(await jobCount()).toBe(0)
      expect(await p.enqueue('mail', 3, { dedupe })).toBeNull()
      // The window passes.
      await q.sql(`update pgq.dedupe_windows set expires = now() - interval '1 millisecond' where key = 't'`)
      const second = await p.enqueue('mail', 4, { dedupe })
      expect(second).toEqual(expect.any(Number))
      expect(await row('t')).toMatchObject({ id: second, payload: 4 })
      expect(await p.enqueue('mail', 5, { dedupe })).toBeNull()
    })

    it("counts from the enqueue that opened the window; one still held after it passed skips the next (and the window starts again)", async () => {
      const p = producer()
      const dedupe = { key: 't', mode: 'throttle', window: '1m' } as const
      const first = await p.enqueue('mail', 1, { dedupe, delay: '1h' })
      await q.sql(`update pgq.dedupe_windows set expires = now() - interval '1 millisecond'`)
      expect(await p.enqueue('mail', 2, { dedupe })).toBeNull()
      expect(await row('t')).toMatchObject({ id: first, payload: 1 })
      expect(await windowOf('t')).toBeCloseTo(60, 0)
    })

    it(`is exact under ${CONCURRENT} concurrent enqueues: one id and ${CONCURRENT - 1} nulls per window`, async () => {
      const dedupe = { key: 't50', mode: 'throttle', window: '1h' } as const
      const enqueue = (i: number) => racer().enqueue('mail', { i }, { dedupe })
      const first = await race(windowGate, ['t50'], enqueue)
      expect(first.filter((id) => id !== null)).toHaveLength(1)
      expect(await jobCount()).toBe(1)
      // The window is the winner's own: created (its now()) + 1 h, written once.
      expect(await q.sql(`select (w.expires - j.created)::text as w from pgq.dedupe_windows w, pgq.jobs j where w.key = 't50'`)).toEqual([{ w: '01:00:00' }])
      const [job] = await q.consumer().claim(1, [open('mail')])
      await q.consumer(job!.workerId!).complete([job!.id])
      // Still within the window: none.
      expect((await Promise.all(Array.from({ length: CONCURRENT }, (_, i) => enqueue(i)))).every((id) => id === null)).toBe(true)
      // The next window: one again (the gate now holds the window row's update).
      await q.sql(`update pgq.dedupe_windows set expires = now() - interval '1 millisecond'`)
      const next = await race(`update pgq.dedupe_windows set expires = now() - interval '2 milliseconds' where key = $1`, ['t50'], enqueue)
      expect(next.filter((id) => id !== null)).toHaveLength(1)
      expect(await jobCount()).toBe(1)
      expect(await windowOf('t50')).toBeGreaterThan(3590)
    })
  })

  describe("'error' and 'skip' as before", () => {
    it("dedupe { key } and mode 'error' are dedupeKey: DuplicateJobError for the batch; 'skip' gives null", async () => {
      const p = producer()
      const id = await p.enqueue('mail', 1, { dedupe: { key: 'k' } })
      for (const dedupe of [{ key: 'k' }, { key: 'k', mode: 'error' as const }]) {
        const error = await p.enqueueMany([{ entrypoint: 'mail', payload: 2 }, { entrypoint: 'mail', payload: 3, dedupe }]).catch((e: unknown) => e)
        expect((error as DuplicateJobError).dedupeKeys).toEqual(['k'])
      }
      expect(await p.enqueue('mail', 4, { dedupe: { key: 'k', mode: 'skip' } })).toBeNull()
      expect(await p.enqueue('mail', 4, { dedupe: { key: 'k' }, onConflict: 'skip' })).toBeNull()
      // A job's own mode wins over the batch's onConflict, both ways.
      const skipped = await p.enqueueMany([{ entrypoint: 'mail', payload: 5 }, { entrypoint: 'mail', payload: 6, dedupe: { key: 'k', mode: 'skip' } }])
      expect(skipped[1]).toBeNull()
      const raised = await p.enqueueMany([{ entrypoint: 'mail', payload: 7, dedupe: { key: 'k', mode: 'error' } }], { onConflict: 'skip' }).catch((e: unknown) => e)
      expect(raised).toBeInstanceOf(DuplicateJobError)
      expect(await row('k')).toMatchObject({ id, payload: 1 })
      expect(await jobCount()).toBe(2)
    })

    it('jobs without a mode of their own, or whose modes all raise or all skip, take the plain statements', async () => {
      const { driver, statements } = countingDriver(driverName, q.url)
      try {
        const p = createProducer({ driver })
        await p.enqueue('mail', 1, { dedupeKey: 'a' })
        await p.enqueue('mail', 2, { dedupe: { key: 'a', mode: 'skip' } })
        await p.enqueueMany([{ entrypoint: 'mail', payload: 3, dedupe: { key: 'b', mode: 'error' } }, { entrypoint: 'mail', payload: 4 }])
        await p.enqueueMany([{ entrypoint: 'mail', payload: 5, dedupe: { key: 'c', mode: 'replace' } }, { entrypoint: 'mail', payload: 6 }])
        const inserts = statements.filter((s) => /insert into "pgq"\.jobs/.test(s))
        expect(inserts.map((s) => (s.includes('dedupe_mode') ? 'modes' : s.includes('unnest') ? 'batch' : 'one'))).toEqual(['one', 'one', 'batch', 'modes'])
      } finally {
        await driver.end()
      }
    })
  })

  describe('refusals: InvalidJobError naming the field and the job, nothing written', () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['an unknown mode', { dedupe: { key: 'k', mode: 'replce' } }, 'dedupe.mode'],
      ['a mode without a key', { dedupe: { mode: 'replace' } }, 'dedupe.key'],
      ['an empty key', { dedupe: { key: '', mode: 'replace' } }, 'dedupe.key'],
      ['U+0000 in the key', { dedupe: { key: 'a\u0000', mode: 'replace' } }, 'dedupe.key'],
      ['dedupe not an object', { dedupe: 'k' }, 'dedupe'],
      ['dedupe and dedupeKey', { dedupeKey: 'k', dedupe: { key: 'k' } }, 'dedupe'],
      ['debounce without delay', { dedupe: { key: 'k', mode: 'debounce' } }, 'dedupe.delay'],
      ['a negative delay', { dedupe: { key: 'k', mode: 'debounce', delay: -1 } }, 'dedupe.delay'],
      ['an unreadable delay', { dedupe: { key: 'k', mode: 'debounce', delay: 'soon' } }, 'dedupe.delay'],
      ['a NaN delay', { dedupe: { key: 'k', mode: 'debounce', delay: Number.NaN } }, 'dedupe.delay'],
      ['a delay past what pgq stores', { dedupe: { key: 'k', mode: 'debounce', delay: 1e300 } }, 'dedupe.delay'],
      ['maxDelay below delay', { dedupe: { key: 'k', mode: 'debounce', delay: '1m', maxDelay: '30s' } }, 'dedupe.maxDelay'],
      ['an infinite maxDelay', { dedupe: { key: 'k', mode: 'debounce', delay: '1m', maxDelay: Number.POSITIVE_INFINITY } }, 'dedupe.maxDelay'],
      ['debounce with runAt', { dedupe: { key: 'k', mode: 'debounce', delay: '1s' }, runAt: new Date() }, 'runAt'],
      ['debounce with delay', { dedupe: { key: 'k', mode: 'debounce', delay: '1s' }, delay: '1s' }, 'delay'],
      ['throttle without window', { dedupe: { key: 'k', mode: 'throttle' } }, 'dedupe.window'],
      ['a zero window', { dedupe: { key: 'k', mode: 'throttle', window: 0 } }, 'dedupe.window'],
      ['a window as a boolean', { dedupe: { key: 'k', mode: 'throttle', window: true } }, 'dedupe.window'],
      ['a window with replace', { dedupe: { key: 'k', mode: 'replace', window: '1m' } }, 'dedupe.window'],
      ['a delay with throttle', { dedupe: { key: 'k', mode: 'throttle', window: '1m', delay: '1s' } }, 'dedupe.delay'],
      ['maxDelay without a mode', { dedupe: { key: 'k', maxDelay: '1s' } }, 'dedupe.maxDelay'],
      ['replace with dependsOn', { dedupe: { key: 'k', mode: 'replace' }, dependsOn: [1] }, 'dedupe.mode'],
    ]
    it.each(cases)('%s', async (_what, fields, field) => {
      const p = producer()
      const single = await p.enqueue('mail', 1, fields as never).catch((e: unknown) => e)
      expect(single).toBeInstanceOf(InvalidJobError)
      expect(single).toMatchObject({ field, index: undefined })
      const batch = await p.enqueueMany([{ entrypoint: 'mail', payload: 0 }, { entrypoint: 'mail', payload: 1, ...fields } as NewJob]).catch((e: unknown) => e)
      expect(batch).toMatchObject({ field, index: 1 })
      expect((batch as Error).message).toMatch(/^job #1: /)
      expect(await jobCount()).toBe(0)
    })

    it('one key twice in a batch, by dedupe.key or dedupeKey; an unknown dedupe field is a ConfigurationError', async () => {
      const p = producer()
      const twice = await p
        .enqueueMany([
          { entrypoint: 'mail', payload: 1, dedupeKey: 'k' },
          { entrypoint: 'mail', payload: 2, dedupe: { key: 'k', mode: 'replace' } },
        ])
        .catch((e: unknown) => e)
      expect(twice).toMatchObject({ field: 'dedupe.key', index: 1 })
      const unknown = await p.enqueue('mail', 1, { dedupe: { key: 'k', mode: 'throttle', windw: '1m' } as never }).catch((e: unknown) => e)
      expect(unknown).toBeInstanceOf(ConfigurationError)
      expect((unknown as Error).message).toContain('did you mean "window"?')
      expect(await jobCount()).toBe(0)
    })
  })
})
