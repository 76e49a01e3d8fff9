// Retention (queue/retention.ts prune, sql/prune.ts), its leadership by lease (queue/leases.ts,
// services/pruner.ts), and where it runs: drains, maintain(), continuous workers, `pgq prune`.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Executor } from '../src/driver/driver.js'
import { ConfigurationError } from '../src/errors.js'
import { lease } from '../src/queue/leases.js'
import { checkRetention, type PruneResult, prune, type QueueRetentionPolicy, type RetentionPolicy } from '../src/queue/retention.js'
import { createQueue, type Queue } from '../src/runtime/queue.js'
import { PrunerService } from '../src/services/pruner.js'
import { DRIVERS, makeDriver, useQueueDatabase } from './support/queue-database.js'
import { queueOn, sleep } from './support/runtime.js'

const BIN = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url))

/** `node dist/cli/main.js ...args`, as test/cli.test.ts runs it. */
function pgq(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { DATABASE_URL: _url, PGQ_SCHEMA: _schema, ...env } = process.env
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: '/', env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr })
    })
  })
}

/** An executor that records each statement's text and values and the rows it returned. */
function recording(db: Executor, delayMs = 0) {
  const calls: { text: string; values: unknown[]; rows: Record<string, unknown>[] }[] = []
  const executor: Executor = {
    async query(text, values, options) {
      if (delayMs > 0) await sleep(delayMs)
      const result = await db.query(text, values, options)
      calls.push({ text, values, rows: result.rows })
      return result
    },
  }
  return { executor, calls }
}

const entrypointRules = (overrides: Record<string, RetentionPolicy> = {}) =>
  new Map(Object.entries(overrides).map(([name, policy]) => [name, checkRetention(policy, 'retention')]))

/** Resolves with the next event a queue emits under `name`. */
function next<T>(on: (listener: (event: T) => void) => () => void): Promise<T> {
  return new Promise((resolve) => {
    const off = on((event) => {
      off()
      resolve(event)
    })
  })
}

describe('retention settings', () => {
  const driver = { query: async () => ({ rows: [] }) } as never

  it('refuses an unknown field, naming it', () => {
    const make = () => createQueue({ driver, retention: { successfull: '7d' } as QueueRetentionPolicy })
    expect(make).toThrow(ConfigurationError)
    expect(make).toThrow(/"successfull".*known: successful, exception, canceled, failures, heldJobs, statistics/)
  })

  it('refuses a bad duration, zero or less, and anything but an object, naming the field', () => {
    for (const [retention, field] of [
      [{ successful: 'soon' }, /retention\.successful/],
      [{ exception: 0 }, /retention\.exception must be more than 0, or false/],
      [{ canceled: -5 }, /retention\.canceled/],
      [{ heldJobs: true }, /retention\.heldJobs/],
      [{ statistics: '1 fortnight' }, /retention\.statistics/],
    ] as const) {
      const make = () => createQueue({ driver, retention: retention as unknown as QueueRetentionPolicy })
      expect(make).toThrow(ConfigurationError)
      expect(make).toThrow(field)
    }
    expect(() => createQueue({ driver, retention: '7d' as unknown as QueueRetentionPolicy })).toThrow(ConfigurationError)
    expect(() => createQueue({ driver, retention: null as unknown as QueueRetentionPolicy })).toThrow(ConfigurationError)
    expect(() => createQueue({ driver, retention: { successful: false, heldJobs: '90d', statistics: 3_600_000 } })).not.toThrow()
  })

  it('refuses statistics retention on an entrypoint (it is queue-wide), and bad entrypoint fields', () => {
    const queue = createQueue({ driver })
    const withStatistics = () => queue.entrypoint('a', { retention: { statistics: '1d' } as RetentionPolicy }, () => undefined)
    expect(withStatistics).toThrow(ConfigurationError)
    expect(withStatistics).toThrow(/retention\.statistics is queue-wide/)
    expect(() => queue.entrypoint('b', { retention: { succesful: '1d' } as RetentionPolicy }, () => undefined)).toThrow(/"succesful"/)
    expect(() => queue.entrypoint('c', { retention: { heldJobs: 'never' } }, () => undefined)).toThrow(/retention\.heldJobs/)
    expect(() => queue.entrypoint('d', { retention: { successful: false, heldJobs: '1d' } }, () => undefined)).not.toThrow()
  })
})

describe.each(DRIVERS)('retention, over %s', (driverName) => {
  const q = useQueueDatabase('retention', driverName)
  beforeEach(async () => {
    await q.reset()
    await q.sql('truncate pgq.statistics, pgq.leases, pgq.schedules')
  })

  /** `n` log rows of one status and entrypoint, created `age` ago (a Postgres interval). */
  const oldLog = (status: string, entrypoint: string, age: string, n = 1) =>
    q.sql(
      `insert into pgq.log (job_id, status, priority, entrypoint, attempts, created)
       select 1000000 + g, $1::pgq.job_status, 0, $2, 1, now() - $3::interval from generate_series(1, $4::int) g`,
      [status, entrypoint, age, n],
    )
  const logRows = async () =>
    Object.fromEntries(
      (await q.sql(`select entrypoint || '/' || status as key, count(*)::int as n from pgq.log group by 1 order by 1`)).map((r) => [r.key, r.n]),
    )
  const pruneWith = (policy: QueueRetentionPolicy = {}, overrides: Record<string, RetentionPolicy> = {}, options: { batchSize?: number; db?: Executor; deadline?: number; pace?: number } = {}) =>
    prune(options.db ?? q.driver, 'pgq', {
      queue: checkRetention(policy, 'retention'),
      entrypoints: entrypointRules(overrides),
      batchSize: options.batchSize,
      deadline: options.deadline ?? Date.now() + 30_000,
      pace: options.pace ?? 0,
    })
  const pruner = (holder = crypto.randomUUID(), extra: Partial<ConstructorParameters<typeof PrunerService>[0]> = {}) =>
    new PrunerService({
      db: q.driver,
      schema: 'pgq',
      lease: lease(q.driver, 'pgq', 'pruner', holder),
      retention: { queue: {}, entrypoints: new Map() },
      onError: (error) => {
        throw error
      },
      ...extra,
    })
  const leaseRows = () => q.sql(`select service, holder::text as holder, expires > now() as live from pgq.leases`)

  describe('prune', () => {
    it('deletes log rows past the default retention of their status and keeps younger ones', async () => {
      await oldLog('successful', 'e', '8 days', 3)
      await oldLog('successful', 'e', '6 days', 2)
      await oldLog('exception', 'e', '31 days')
      await oldLog('exception', 'e', '8 days')
      await oldLog('deleted', 'e', '31 days')
      await oldLog('canceled', 'e', '31 days')
      await oldLog('canceled', 'e', '29 days')
      await oldLog('queued', 'e', '31 days')
      await oldLog('failed', 'e', '31 days')
      await oldLog('failed', 'e', '29 days')
      expect(await pruneWith()).toEqual({ log: 8, heldJobs: 0, statistics: 0, more: false })
      expect(await logRows()).toEqual({ 'e/canceled': 1, 'e/exception': 1, 'e/failed': 1, 'e/successful': 2 })
      // Nothing left to do: a second pass deletes nothing.
      expect(await pruneWith()).toEqual({ log: 0, heldJobs: 0, statistics: 0, more: false })
    })

    it('applies the queue policy, per-entrypoint overrides, and false (keep forever)', async () => {
      await oldLog('successful', 'other', '2 days')
      await oldLog('successful', 'other', '12 hours')
      await oldLog('successful', 'keep', '400 days')
      await oldLog('successful', 'short', '2 hours')
      await oldLog('successful', 'short', '30 minutes')
      await oldLog('exception', 'keep', '400 days')
      await oldLog('exception', 'other', '400 days')
      await oldLog('canceled', 'other', '400 days')
      const result = await pruneWith({ successful: '1d', canceled: false }, { keep: { successful: false }, short: { successful: '1h' } })
      expect(result).toMatchObject({ log: 4, more: false })
      // keep's exception row follows the queue's exception rule (it only overrides successful).
      expect(await logRows()).toEqual({ 'keep/successful': 1, 'other/canceled': 1, 'other/successful': 1, 'short/successful': 1 })
      // A queue that keeps successes forever, with an entrypoint that does not.
      await oldLog('successful', 'short', '2 hours')
      expect(await pruneWith({ successful: false, canceled: false }, { short: { successful: '1h' } })).toMatchObject({ log: 1 })
      expect(await logRows()).toEqual({ 'keep/successful': 1, 'other/canceled': 1, 'other/successful': 1, 'short/successful': 1 })
    })

    it("applies the retention entrypoints registered, in every pruner: one that knows nothing of them keeps their rows", async () => {
      const registering = queueOn(q.driver).entrypoint('keep', { retention: { successful: false } }, () => undefined)
      expect(await registering.entrypointPolicies(['keep'])).toMatchObject([{ name: 'keep', retention: { successful: null } }])
      await oldLog('successful', 'keep', '400 days', 3)
      await oldLog('successful', 'other', '8 days', 2)
      // As `pgq prune` or a worker of another deployment: no entrypoint of its own.
      expect(await pruneWith({}, {})).toMatchObject({ log: 2 })
      expect(await logRows()).toEqual({ 'keep/successful': 3 })
    })

    it('deletes in batches of batchSize, one short statement each, and counts what it deleted', async () => {
      await oldLog('successful', 'e', '8 days', 50)
      await oldLog('canceled', 'e', '31 days', 7)
      await oldLog('successful', 'e', '1 day', 5)
      const { executor, calls } = recording(q.driver)
      expect(await pruneWith({}, {}, { batchSize: 7, db: executor })).toEqual({ log: 57, heldJobs: 0, statistics: 0, more: false })
      const deletedBy = (status: string) => calls.filter((c) => /delete from "pgq"\.log/.test(c.text) && c.values.includes(status)).map((c) => c.rows[0]?.deleted)
      // 50 = 7 × 7 + 1; a full batch is followed by another, a short one ends the status.
      expect(deletedBy('successful')).toEqual([7, 7, 7, 7, 7, 7, 7, 1])
      expect(deletedBy('canceled')).toEqual([7, 0])
      const batches = calls.filter((c) => 'deleted' in (c.rows[0] ?? {}))
      expect(batches.length).toBeGreaterThan(9)
      expect(batches.every((c) => (c.rows[0]?.deleted as number) <= 7 && c.values.includes(7))).toBe(true)
      expect(await logRows()).toEqual({ 'e/successful': 5 })
    })

    it('paces itself by default: after each full batch it waits three times as long as the batch took', async () => {
      await oldLog('successful', 'e', '8 days', 21)
      // Each statement takes 30 ms more: three full batches of 7, then three pauses of at least 90 ms.
      const slow = recording(q.driver, 30)
      const started = Date.now()
      expect(await prune(slow.executor, 'pgq', { queue: {}, entrypoints: new Map(), batchSize: 7, deadline: Date.now() + 30_000 })).toMatchObject({ log: 21 })
      const statements = slow.calls.length
      expect(Date.now() - started).toBeGreaterThanOrEqual(statements * 30 + 3 * 90)
      expect(await logRows()).toEqual({})
    })

    it('stops starting batches at the deadline with more: true, and the next pass goes on', async () => {
      await oldLog('successful', 'e', '8 days', 100)
      expect(await pruneWith({}, {}, { deadline: Date.now() - 1 })).toEqual({ log: 0, heldJobs: 0, statistics: 0, more: true })
      // Each statement takes 40 ms more: a 150 ms slice fits a few batches of 7, not 15.
      const slow = recording(q.driver, 40)
      const first = await pruneWith({}, {}, { batchSize: 7, db: slow.executor, deadline: Date.now() + 150 })
      expect(first.more).toBe(true)
      expect(first.log).toBeGreaterThan(0)
      expect(first.log).toBeLessThan(100)
      expect(first.log % 7).toBe(0)
      expect(await logRows()).toEqual({ 'e/successful': 100 - first.log })
      expect(await pruneWith({}, {}, { batchSize: 7 })).toEqual({ log: 100 - first.log, heldJobs: 0, statistics: 0, more: false })
      expect(await logRows()).toEqual({})
    })

    it('stops when its signal is aborted (a stopping worker)', async () => {
      await oldLog('successful', 'e', '8 days', 20)
      const abort = new AbortController()
      abort.abort()
      const result = await prune(q.driver, 'pgq', { queue: {}, entrypoints: new Map(), batchSize: 7, deadline: Date.now() + 30_000, signal: abort.signal })
      expect(result).toEqual({ log: 0, heldJobs: 0, statistics: 0, more: true })
    })

    it('removes held jobs past heldJobs retention with a deleted log row, and keeps them by default', async () => {
      const queue = queueOn(q.driver)
        .entrypoint('bad', { maxAttempts: 1, onFailure: 'hold' }, () => {
          throw new Error('held')
        })
        .entrypoint('kept', { maxAttempts: 1, onFailure: 'hold' }, () => {
          throw new Error('held')
        })
      const [old, young, keptOld] = await queue.enqueueMany([
        { entrypoint: 'bad', payload: 1 },
        { entrypoint: 'bad', payload: 2 },
        { entrypoint: 'kept', payload: 3 },
      ])
      expect(await queue.drain({ timeBudget: 10_000, maintenance: false })).toMatchObject({ failed: 3 })
      await q.sql(`update pgq.jobs set updated = now() - interval '2 hours' where id = any($1::bigint[])`, [[old, keptOld]])
      // Default: held jobs stay until requeued, whatever their age.
      expect(await pruneWith()).toMatchObject({ heldJobs: 0 })
      expect(await q.sql('select count(*)::int as n from pgq.jobs')).toEqual([{ n: 3 }])

      expect(await pruneWith({ heldJobs: '1h' }, { kept: { heldJobs: false } })).toMatchObject({ heldJobs: 1, more: false })
      expect(await q.sql(`select id::int as id, status::text from pgq.jobs order by id`)).toEqual([
        { id: young, status: 'failed' },
        { id: keptOld, status: 'failed' },
      ])
      expect(await q.sql(`select job_id::int as id, status::text, entrypoint from pgq.log where status = 'deleted'`)).toEqual([
        { id: old, status: 'deleted', entrypoint: 'bad' },
      ])
      expect(await queue.history(old!)).toEqual(expect.arrayContaining([expect.objectContaining({ status: 'deleted' })]))
      expect((await queue.statistics()).filter((b) => b.status === 'deleted').map((b) => [b.entrypoint, b.count])).toEqual([['bad', 1]])
      // The deleted row follows the exception rule: gone after 30 days.
      await q.sql(`update pgq.log set created = now() - interval '31 days' where status = 'deleted'`)
      expect(await pruneWith()).toMatchObject({ log: 1 })
      expect(await q.sql(`select count(*)::int as n from pgq.log where status = 'deleted'`)).toEqual([{ n: 0 }])
    })

    it('deletes statistics buckets older than their retention, in batches', async () => {
      const bucket = (age: string, entrypoint: string) =>
        q.sql(`insert into pgq.statistics (bucket, entrypoint, status, priority, count) values (date_trunc('minute', now() - $1::interval), $2, 'successful', 0, 1)`, [
          age,
          entrypoint,
        ])
      for (let i = 0; i < 10; i++) await bucket(`${31 + i} days`, `old${i}`)
      await bucket('1 day', 'recent')
      await bucket('1 minute', 'now')
      expect(await pruneWith({ statistics: false })).toMatchObject({ statistics: 0 })
      const { executor, calls } = recording(q.driver)
      expect(await pruneWith({}, {}, { batchSize: 4, db: executor })).toEqual({ log: 0, heldJobs: 0, statistics: 10, more: false })
      expect(calls.filter((c) => /delete from "pgq"\.statistics/.test(c.text)).map((c) => c.rows[0]?.deleted)).toEqual([4, 4, 2])
      expect(await q.sql('select entrypoint from pgq.statistics order by bucket')).toEqual([{ entrypoint: 'recent' }, { entrypoint: 'now' }])
      expect(await pruneWith({ statistics: '12h' })).toMatchObject({ statistics: 1 })
      expect(await q.sql('select entrypoint from pgq.statistics')).toEqual([{ entrypoint: 'now' }])
    })
  })

  describe('one leader', () => {
    it('a started pruner holds the lease: another gets null until it stops and releases it', async () => {
      await oldLog('successful', 'e', '8 days', 3)
      const holder = crypto.randomUUID()
      let firstPass!: (r: PruneResult) => void
      const passed = new Promise<PruneResult>((resolve) => (firstPass = resolve))
      const leader = pruner(holder, { onPruned: (r) => firstPass(r) })
      const other = pruner()
      try {
        await leader.start()
        expect(await passed).toMatchObject({ log: 3 })
        expect(await leaseRows()).toEqual([{ service: 'pruner', holder, live: true }])
        await oldLog('successful', 'e', '8 days', 2)
        expect(await other.runOnce()).toBeNull()
        expect(await logRows()).toEqual({ 'e/successful': 2 })
        // The leader renews its own lease.
        expect(await leader.runOnce()).toMatchObject({ log: 2 })
      } finally {
        await leader.stop()
      }
      expect(await leaseRows()).toEqual([])
      await oldLog('successful', 'e', '8 days', 1)
      expect(await other.runOnce()).toMatchObject({ log: 1 })
      // After stop() a pruner does no more passes.
      expect(await leader.runOnce()).toBeNull()
    })

    it('a one-shot pass holds the lease only while it runs', async () => {
      await oldLog('successful', 'e', '8 days', 30)
      // Each statement takes 50 ms: the pass (5 batches of 7) is still running when the other tries.
      const slowDb = recording(q.driver, 50).executor
      const slow = pruner(crypto.randomUUID(), { db: slowDb, retention: { queue: {}, entrypoints: new Map(), batchSize: 7 } })
      const running = slow.runOnce()
      await expect.poll(() => leaseRows(), { timeout: 5000, interval: 10 }).toHaveLength(1)
      expect(await pruner().runOnce()).toBeNull()
      expect(await running).toMatchObject({ log: 30, more: false })
      expect(await leaseRows()).toEqual([])
      await oldLog('successful', 'e', '8 days', 1)
      expect(await pruner().runOnce()).toMatchObject({ log: 1 })
    })

    it('stop() cuts a pass short after the batch in flight, and gives the lease back', async () => {
      await oldLog('successful', 'e', '8 days', 140)
      // 20 batches of 7 at 50 ms each: a second of work, stopped after a few batches.
      const slowDb = recording(q.driver, 50).executor
      let result: PruneResult | undefined
      const leader = pruner(crypto.randomUUID(), { db: slowDb, retention: { queue: {}, entrypoints: new Map(), batchSize: 7 }, onPruned: (r) => (result = r) })
      await leader.start()
      await expect.poll(async () => (await logRows())['e/successful'], { timeout: 5000, interval: 10 }).toBeLessThan(140)
      const stopping = performance.now()
      await leader.stop()
      expect(performance.now() - stopping).toBeLessThan(500)
      expect(result).toMatchObject({ more: true })
      expect(result!.log).toBeLessThan(140)
      expect(await logRows()).toEqual({ 'e/successful': 140 - result!.log })
      expect(await leaseRows()).toEqual([])
    })

    it('an expired lease is taken over, and the old holder then gets null', async () => {
      const a = crypto.randomUUID()
      const b = crypto.randomUUID()
      const passes: string[] = []
      const first = pruner(a, { onPruned: () => passes.push('a') })
      let bPassed!: () => void
      const bFirst = new Promise<void>((resolve) => (bPassed = resolve))
      const second = pruner(b, {
        onPruned: () => {
          passes.push('b')
          bPassed()
        },
      })
      try {
        await first.start()
        await expect.poll(() => leaseRows()).toEqual([{ service: 'pruner', holder: a, live: true }])
        expect(await second.runOnce()).toBeNull()
        // The first one's process hangs or dies: its lease runs out.
        await q.sql(`update pgq.leases set expires = now() - interval '1 second'`)
        await second.start()
        await bFirst
        expect(await leaseRows()).toEqual([{ service: 'pruner', holder: b, live: true }])
        expect(await first.runOnce()).toBeNull()
        expect(passes).toEqual(['a', 'b'])
      } finally {
        await first.stop()
        await second.stop()
      }
      // The old holder's stop() does not release the new holder's lease; the new holder's does.
      expect(await leaseRows()).toEqual([])
    })

    it('many contenders on their own connections: exactly one gets the lease', async () => {
      const drivers = Array.from({ length: 6 }, () => makeDriver(driverName, q.url, 1))
      try {
        const leases = drivers.map((d) => lease(d, 'pgq', 'pruner', crypto.randomUUID()))
        // Warm the connections up, so the acquires race rather than queue behind connects.
        await Promise.all(drivers.map((d) => d.query('select 1', [])))
        for (let round = 0; round < 3; round++) {
          const granted = await Promise.all(leases.map((l) => l.acquire(60_000)))
          expect(granted.filter(Boolean)).toHaveLength(1)
          await leases[granted.indexOf(true)]!.release()
        }
      } finally {
        await Promise.all(drivers.map((d) => d.end()))
      }
    })
  })

  describe('where it runs', () => {
    const events = (queue: { on: Queue['on'] }) => {
      const pruned: PruneResult[] = []
      const errors: unknown[] = []
      queue.on('retention:pruned', (r) => pruned.push(r))
      queue.on('worker:error', (e) => errors.push(e))
      return { pruned, errors }
    }

    it('a drain prunes by default, not with maintenance: false, nor while another worker leads', async () => {
      const queue = queueOn(q.driver, { retention: { successful: '1d' } }).entrypoint('e', () => undefined)
      const seen = events(queue)
      await oldLog('successful', 'e', '2 days', 4)
      expect(await queue.drain({ timeBudget: 5000, maintenance: false })).toMatchObject({ claimed: 0 })
      expect(seen.pruned).toEqual([])
      expect(await logRows()).toEqual({ 'e/successful': 4 })

      const leader = pruner()
      await leader.start()
      try {
        await expect.poll(() => leaseRows()).toHaveLength(1)
        await oldLog('successful', 'e', '2 days', 4) // the leader's first pass used the default 7 days: these stay
        await queue.drain({ timeBudget: 5000 })
        expect(seen.pruned).toEqual([])
        expect(await logRows()).toEqual({ 'e/successful': 8 })
      } finally {
        await leader.stop()
      }

      await queue.enqueue('e', null)
      expect(await queue.drain({ timeBudget: 5000 })).toMatchObject({ succeeded: 1 })
      expect(seen.pruned).toEqual([{ log: 8, heldJobs: 0, statistics: 0, more: false }])
      // The drain's own success is fresh, so it stays. Its pass finished, so it keeps the
      // lease for the pruner's interval: the drains of the next minute skip retention.
      expect(await logRows()).toEqual({ 'e/successful': 1 })
      expect(await leaseRows()).toHaveLength(1)
      await oldLog('successful', 'e', '2 days', 2)
      await queue.drain({ timeBudget: 5000 })
      expect(seen.pruned).toHaveLength(1)
      expect(await logRows()).toEqual({ 'e/successful': 3 })
      // maintain() too leaves it to the next interval (its lease is held).
      expect((await queue.maintain()).pruned).toBeNull()
      expect(seen.errors).toEqual([])
    })

    it('maintain() fires due schedules and prunes, and a second maintain() prunes again at once', async () => {
      let now = new Date('2030-06-01T12:00:30Z')
      const ticks: string[] = []
      const queue = queueOn(q.driver, { clock: () => now, retention: { canceled: '1h' } }).schedule('housekeeping', '0 * * * *', {
        mode: 'inline',
        handler: (tick) => void ticks.push(tick.scheduledFor.toISOString()),
      })
      await oldLog('canceled', 'x', '2 hours', 3)
      expect(await queue.maintain()).toEqual({ schedules: [], pruned: { log: 3, heldJobs: 0, statistics: 0, more: false } })
      now = new Date('2030-06-01T13:00:05Z')
      await oldLog('canceled', 'x', '3 hours', 2)
      const second = await queue.maintain({ timeBudget: '10s' })
      expect(second.schedules).toMatchObject([{ entrypoint: 'housekeeping', mode: 'inline' }])
      expect(ticks).toEqual(['2030-06-01T13:00:00.000Z'])
      expect(second.pruned).toEqual({ log: 2, heldJobs: 0, statistics: 0, more: false })
      expect(await logRows()).toEqual({})
      expect(await leaseRows()).toEqual([])
    })

    it('maintain() leaves retention to the leader when another worker holds the lease', async () => {
      let passes = 0
      const leader = pruner(undefined, { onPruned: () => void passes++ })
      await leader.start()
      try {
        // After the leader's first pass: rows older than retention from now on wait for its next one, a minute away.
        await expect.poll(() => passes).toBeGreaterThan(0)
        expect(await leaseRows()).toHaveLength(1)
        await oldLog('successful', 'e', '8 days', 2)
        expect(await queueOn(q.driver).maintain()).toEqual({ schedules: [], pruned: null })
        expect(await logRows()).toEqual({ 'e/successful': 2 })
      } finally {
        await leader.stop()
      }
    })

    it('a continuous worker prunes on its own, holds the lease while it runs, and gives it up at stop', async () => {
      await oldLog('successful', 'e', '8 days', 5)
      await oldLog('exception', 'e', '40 days', 2)
      const queue = queueOn(q.driver).entrypoint('e', () => undefined)
      const pruned = next<PruneResult>((l) => queue.on('retention:pruned', l))
      const worker = queue.start({ pollInterval: 5000 })
      try {
        expect(await pruned).toEqual({ log: 7, heldJobs: 0, statistics: 0, more: false })
        expect(await leaseRows()).toEqual([{ service: 'pruner', holder: worker.workerId, live: true }])
        expect(await logRows()).toEqual({})
        // A second worker of the fleet does not prune while the first leads.
        const other = queueOn(q.driver).entrypoint('e', () => undefined)
        expect((await other.maintain()).pruned).toBeNull()
      } finally {
        await worker.stop()
      }
      expect(await leaseRows()).toEqual([])
    })

    it('a continuous worker started with maintenance: false does not prune', async () => {
      await oldLog('successful', 'e', '8 days', 2)
      const queue = queueOn(q.driver).entrypoint('e', () => undefined)
      const seen = events(queue)
      const done = next<unknown>((l) => queue.on('job:succeeded', l))
      const worker = queue.start({ maintenance: false, pollInterval: 50 })
      try {
        await queue.enqueue('e', null)
        await done
      } finally {
        await worker.stop()
      }
      expect(seen.pruned).toEqual([])
      expect(await logRows()).toEqual({ 'e/successful': 3 })
      expect(await leaseRows()).toEqual([])
    })
  })
})

describe.runIf(existsSync(BIN))('pgq prune (the built CLI)', () => {
  const q = useQueueDatabase('retention_cli', 'node-postgres')
  beforeEach(async () => {
    await q.reset()
    await q.sql('truncate pgq.statistics, pgq.leases')
  })
  afterEach(() => q.sql('truncate pgq.leases'))

  it('prunes once with the given retention and prints the counts', async () => {
    await q.sql(`insert into pgq.log (job_id, status, priority, entrypoint, created)
      select g, 'successful', 0, 'e', now() - interval '8 days' from generate_series(1, 12) g`)
    await q.sql(`insert into pgq.log (job_id, status, priority, entrypoint, created) values (99, 'successful', 0, 'e', now() - interval '2 days')`)
    await q.sql(`insert into pgq.statistics (bucket, entrypoint, status, priority, count) values (date_trunc('minute', now() - interval '40 days'), 'e', 'successful', 0, 1)`)
    const run = await pgq(['prune', '--database-url', q.url])
    expect(run).toEqual({ code: 0, stdout: 'deleted 12 log rows, 0 held jobs, 1 statistics buckets\n', stderr: '' })
    expect(await q.sql('select count(*)::int as n from pgq.log')).toEqual([{ n: 1 }])
    const shorter = await pgq(['prune', '--database-url', q.url, '--successful', '1d'])
    expect(shorter).toMatchObject({ code: 0, stdout: 'deleted 1 log rows, 0 held jobs, 0 statistics buckets\n' })
    expect(await q.sql('select count(*)::int as n from pgq.log')).toEqual([{ n: 0 }])
  })

  it('does nothing while a worker in another process holds the lease', async () => {
    await q.sql(`insert into pgq.log (job_id, status, priority, entrypoint, created) values (1, 'successful', 0, 'e', now() - interval '8 days')`)
    await q.sql(`insert into pgq.leases (service, holder, expires) values ('pruner', gen_random_uuid(), now() + interval '1 minute')`)
    const run = await pgq(['prune', '--database-url', q.url])
    expect(run).toMatchObject({ code: 0, stdout: 'another process holds the pruner lease (a running worker, or a drain or maintain() that pruned within the last minute): nothing done here; run this again in a minute\n' })
    expect(await q.sql('select count(*)::int as n from pgq.log')).toEqual([{ n: 1 }])
  })

  it('refuses a bad retention flag as a usage error (exit 2), naming it', async () => {
    const run = await pgq(['prune', '--database-url', q.url, '--successful', 'soon'])
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/--successful/)
  })
})
