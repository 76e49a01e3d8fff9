// How a continuous worker (and waitFor) behave when the connection is not what they hoped:
// behind a transaction-mode PgBouncer, across a real PostgreSQL restart, and started while it is down.
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Pool as NeonPool } from '@neondatabase/serverless'
import { startEmbeddedPostgres } from '@pgq/embedded'
import pg from 'pg'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { PgqDriver } from '../src/driver/driver.js'
import { DatabaseUnavailableError } from '../src/errors.js'
import { neonServerlessDriver } from '../src/driver/neon-serverless/index.js'
import { nodePostgresDriver } from '../src/driver/node-postgres/index.js'
import { type PgClient, withPgClient } from '../src/driver/node-postgres/with-client.js'
import { migrate } from '../src/migrations/migrator.js'
import { startWsProxy } from '../src/proxy/ws-proxy.js'
import { WaitTimeoutError } from '../src/runtime/completion-waiter.js'
import { ListenerUnavailableError } from '../src/queue/listener-errors.js'
import type { QueueEvents } from '../src/runtime/queue-events.js'
import type { Job } from '../src/types.js'
import { wsProxyPort } from './setup/database.js'
import { startPgBouncer } from './setup/pgbouncer.js'
import { configureNeonForLocalProxy } from './support/neon-local-proxy.js'
import { DRIVERS, type DriverName, useQueueDatabase } from './support/queue-database.js'
import { queueOn, sleep } from './support/runtime.js'

type Cleanup = () => Promise<unknown>

describe.each(DRIVERS)('worker behind PgBouncer in transaction mode, over %s', (driverName) => {
  const q = useQueueDatabase('resilience', driverName)
  const cleanups: Cleanup[] = []
  let viaBouncer: PgqDriver
  /** Straight to the server; not the fixture's driver, whose Neon pool would outlive our proxy. */
  let direct: PgqDriver
  beforeAll(async () => {
    const bouncer = await startPgBouncer({ targetUrl: q.url, poolMode: 'transaction' })
    cleanups.push(() => bouncer.stop())
    if (driverName === 'neon-serverless') await useNeonProxyFor([bouncer.url, q.url], cleanups)
    // PgBouncer 1.18 in transaction mode cannot keep named prepared statements.
    viaBouncer = ownDriver(driverName, bouncer.url, cleanups, { preparedStatements: false })
    direct = ownDriver(driverName, q.url, cleanups)
  })
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c()
  })
  beforeEach(() => q.reset())

  it('refuses to start: done rejects with ListenerUnavailableError naming the pooler, and nothing is claimed', async () => {
    const id = await queueOn(direct).enqueue('never', null) // enqueued before the worker starts
    const ran: number[] = []
    const errors: QueueEvents['worker:error'][] = []
    const queue = queueOn(viaBouncer).entrypoint('never', (job) => void ran.push(job.id))
    queue.on('worker:error', (e) => errors.push(e))
    const t0 = performance.now()
    const worker = queue.start({ pollInterval: 50, listener: { roundTripTimeout: 1000 } })
    const err = await worker.done.then(
      () => undefined,
      (e: unknown) => e,
    )
    const rejectedMs = performance.now() - t0
    expect(err).toBeInstanceOf(ListenerUnavailableError)
    expect(err).toMatchObject({ code: 'PGQ_LISTENER_UNAVAILABLE', reason: 'no-delivery' })
    const message = (err as Error).message
    expect(message).toMatch(/PgBouncer pool_mode=transaction/)
    expect(message).toMatch(/direct \(non-pooled\) connection string/)
    expect(rejectedMs).toBeLessThan(5000) // the 1 s round-trip timeout, not the 5 s default
    // stop() after a failed start settles the same way and does not hang.
    await expect(worker.stop()).rejects.toBe(err)

    await sleep(300) // several poll intervals: a claim loop left running would have claimed by now
    expect(ran).toEqual([])
    expect(errors).toEqual([])
    expect(await q.sql('select status, attempts, worker_id from pgq.jobs where id = $1', [id])).toEqual([
      { status: 'queued', attempts: 0, worker_id: null },
    ])
    console.log(`[resilience ${driverName}] worker behind transaction-mode PgBouncer rejected in ${rejectedMs.toFixed(0)} ms`)
  })

  it('waitFor still resolves through it, by polling, for jobs a direct worker completes', async () => {
    const waiting = queueOn(viaBouncer, { waitPollInterval: 50 })
    const ids = await waiting.enqueueMany([
      { entrypoint: 'direct', payload: 1 },
      { entrypoint: 'direct', payload: 2 },
      { entrypoint: 'direct', payload: 3 },
    ])
    const worker = queueOn(direct).entrypoint('direct', () => sleep(100)).start({ pollInterval: 100 })
    try {
      const t0 = performance.now()
      expect(await waiting.waitFor(ids, { timeout: 15_000 })).toEqual(['successful', 'successful', 'successful'])
      console.log(`[resilience ${driverName}] waitFor behind transaction-mode PgBouncer resolved in ${(performance.now() - t0).toFixed(0)} ms`)
      // Again, for a job already finished: the poll answers at once, no listener needed.
      const t1 = performance.now()
      expect(await waiting.waitFor(ids[0]!, { timeout: 15_000 })).toBe('successful')
      console.log(`[resilience ${driverName}] waitFor of a finished job behind PgBouncer resolved in ${(performance.now() - t1).toFixed(0)} ms`)
    } finally {
      await worker.stop()
      await waiting.close()
    }
  })

  it('waitFor honours its timeout behind it, though its listener cannot start', async () => {
    const waiting = queueOn(viaBouncer, { waitPollInterval: 50 })
    const id = await waiting.enqueue('nobody', null)
    try {
      const t0 = performance.now()
      const err = await waiting.waitFor(id, { timeout: 1000 }).catch((e: unknown) => e)
      const elapsed = performance.now() - t0
      console.log(`[resilience ${driverName}] waitFor(timeout: 1000) behind PgBouncer rejected after ${elapsed.toFixed(0)} ms`)
      expect(err).toBeInstanceOf(WaitTimeoutError)
      expect(elapsed).toBeLessThan(2500)
    } finally {
      await waiting.close()
    }
  })
})

describe.each(DRIVERS)('worker across a PostgreSQL restart, over %s', (driverName) => {
  it('loses no job: all 100 end successful, the listener is lost and restored', { timeout: 120_000 }, async () => {
    const cleanups: Cleanup[] = []
    try {
      const server = await ownServer(driverName, 'restart', cleanups)
      const driver = server.driver

      const ran = new Map<number, number>() // payload n → runs
      let running = 0
      const queue = queueOn(driver).entrypoint('step', { leaseTimeout: '2s' }, async (job: Job<number>) => {
        running++
        try {
          ran.set(job.payload, (ran.get(job.payload) ?? 0) + 1)
          await sleep(300)
        } finally {
          running--
        }
      })
      const events = { lost: 0, restored: 0, errors: new Map<string, number>(), retried: 0, failed: 0 }
      queue.on('listener:lost', () => void events.lost++)
      queue.on('listener:restored', () => void events.restored++)
      queue.on('worker:error', ({ during }) => void events.errors.set(during, (events.errors.get(during) ?? 0) + 1))
      queue.on('job:retried', () => void events.retried++)
      queue.on('job:failed', () => void events.failed++)

      const worker = queue.start({ pollInterval: 200, listener: { healthCheckInterval: 500 } })
      cleanups.push(() => worker.stop({ force: true }).catch(() => undefined))

      // Enqueue calls fail while the server is down: retry each. The dedupe key makes a retry
      // of an insert that did commit (but whose answer was lost) a no-op while the job waits.
      let enqueueRetries = 0
      const enqueue = async (n: number) => {
        for (let attempt = 1; ; attempt++) {
          try {
            return await queue.enqueue('step', n, { dedupeKey: `step-${n}`, onConflict: 'skip' })
          } catch (e) {
            if (attempt >= 100) throw e
            enqueueRetries++
            await sleep(100)
          }
        }
      }
      const stream = async (from: number, to: number) => {
        for (let n = from; n < to; n++) {
          await enqueue(n)
          await sleep(20)
        }
      }

      const t0 = performance.now()
      const first = stream(0, 50)
      // Restart while jobs run (and, likely, while the first 50 are still being enqueued).
      await expect.poll(() => ran.size >= 15 && running > 0, { timeout: 20_000, interval: 5 }).toBe(true)
      const runningAtStop = running
      const tStop = performance.now()
      await server.stop()
      const tStart = performance.now()
      await server.start()
      const tUp = performance.now()
      await first
      await stream(50, 100)

      await expect
        .poll(() => withPgClient(server.url, (c) => counts(c)), { timeout: 60_000, interval: 200 })
        .toEqual({ successful: 100, left: 0 })
      const tDone = performance.now()
      await expect.poll(() => events.restored, { timeout: 10_000 }).toBeGreaterThanOrEqual(1)
      const summary = await worker.stop()

      expect(events.lost).toBeGreaterThanOrEqual(1)
      expect(events.restored).toBeGreaterThanOrEqual(1)
      expect([...ran.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, n) => n))
      expect(events.failed).toBe(0)
      const log = await withPgClient(server.url, async (c) => {
        const { rows } = await c.query<{ status: string; n: number }>('select status::text, count(*)::int as n from pgq.log group by 1 order by 1')
        return Object.fromEntries(rows.map((r) => [r.status, r.n]))
      })
      const reruns = [...ran.values()].filter((v) => v > 1).length
      console.log(
        `[resilience ${driverName}] restart with ${runningAtStop} running: stop ${(tStart - tStop).toFixed(0)} ms, start ${(tUp - tStart).toFixed(0)} ms; ` +
          `all 100 successful ${(tDone - tUp).toFixed(0)} ms after restart (${(tDone - t0).toFixed(0)} ms total); ` +
          `lost ${events.lost}, restored ${events.restored}, re-run ${reruns}, enqueue retries ${enqueueRetries}, ` +
          `worker errors ${JSON.stringify(Object.fromEntries(events.errors))}, log ${JSON.stringify(log)}, ` +
          `claimed ${summary.claimed}, succeeded ${summary.succeeded}, lost ${summary.lost}`,
      )
    } finally {
      for (const c of cleanups.reverse()) await c().catch((e: unknown) => console.error('cleanup failed:', e))
    }
  })
})

describe.each(DRIVERS)('results the database is gone for, over %s', (driverName) => {
  /** One job that runs until released, on a server of its own; the server stops while it runs. */
  async function runningWhenServerStops(cleanups: Cleanup[]) {
    const server = await ownServer(driverName, 'unwritten', cleanups)
    let started = () => {}
    let release = () => {}
    const running = new Promise<void>((resolve) => (started = resolve))
    const gate = new Promise<void>((resolve) => (release = resolve))
    const queue = queueOn(server.driver).entrypoint('step', {}, async () => {
      started()
      await gate
    })
    queue.on('worker:error', () => undefined)
    const id = await queue.enqueue('step', null)
    return { server, queue, id, running, stopServerThenFinish: async () => {
      await running
      await server.stop()
      release()
    } }
  }

  it('a drain that cannot write a result rejects with DatabaseUnavailableError; the job stays picked for rescue', { timeout: 60_000 }, async () => {
    const cleanups: Cleanup[] = []
    try {
      const { server, queue, id, stopServerThenFinish } = await runningWhenServerStops(cleanups)
      const drain = queue.drain({ timeBudget: '3s' })
      await stopServerThenFinish()
      // Before, it resolved with succeeded: 1 for a result it never wrote.
      await expect(drain).rejects.toBeInstanceOf(DatabaseUnavailableError)
      await server.start()
      const { rows } = await withPgClient(server.url, (c) => c.query('select status::text from pgq.jobs where id = $1', [id]))
      expect(rows).toEqual([{ status: 'picked' }])
    } finally {
      for (const c of cleanups.reverse()) await c().catch((e: unknown) => console.error('cleanup failed:', e))
    }
  })

  it('a worker stopped then counts the run as unwritten, not succeeded', { timeout: 60_000 }, async () => {
    const cleanups: Cleanup[] = []
    try {
      const { queue, stopServerThenFinish } = await runningWhenServerStops(cleanups)
      const worker = queue.start({ pollInterval: 200, shutdownTimeout: '1s' })
      cleanups.push(() => worker.stop({ force: true }).catch(() => undefined))
      await stopServerThenFinish()
      expect(await worker.stop()).toMatchObject({ claimed: 1, succeeded: 0, unwritten: 1 })
    } finally {
      for (const c of cleanups.reverse()) await c().catch((e: unknown) => console.error('cleanup failed:', e))
    }
  })
})

describe.each(DRIVERS)('a worker started while PostgreSQL is down, over %s', (driverName) => {
  /** A migrated server of its own, stopped; `start()` brings it back on the same port. */
  async function stoppedServer(cleanups: Cleanup[]) {
    const server = await ownServer(driverName, 'down', cleanups)
    await server.stop()
    return server
  }

  it('waits for it, reporting each try as worker:error during start, then runs jobs; an enqueue meanwhile rejects with DatabaseUnavailableError', { timeout: 60_000 }, async () => {
    const cleanups: Cleanup[] = []
    try {
      const { driver, start } = await stoppedServer(cleanups)
      const ran: number[] = []
      const queue = queueOn(driver).entrypoint('step', {}, (job: Job<number>) => void ran.push(job.payload))
      const startErrors: unknown[] = []
      queue.on('worker:error', ({ error, during }) => void (during === 'start' && startErrors.push(error)))

      const refused = await queue.enqueue('step', 0).then(() => undefined, (e: unknown) => e)
      expect(refused).toBeInstanceOf(DatabaseUnavailableError)
      expect(refused).toMatchObject({ code: 'PGQ_DATABASE_UNAVAILABLE', reason: expect.stringMatching(/^(E[A-Z]+|[0-9A-Z]{5}|connection lost)$/) })
      expect((refused as Error).message).toMatch(/^PostgreSQL is unavailable \(.+\)\. (Check that the server is up|The server answered but is not taking this session now)/)

      const worker = queue.start({ pollInterval: 200 })
      cleanups.push(() => worker.stop({ force: true }).catch(() => undefined))
      await expect.poll(() => startErrors.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(2)
      expect(startErrors.every((e) => e instanceof DatabaseUnavailableError)).toBe(true)

      await start()
      const id = await queue.enqueue('step', 1)
      await expect(queue.waitFor(id, { timeout: 20_000 })).resolves.toBe('successful')
      const summary = await worker.stop()
      expect(summary).toMatchObject({ claimed: 1, succeeded: 1 })
      expect(ran).toEqual([1])
    } finally {
      for (const c of cleanups.reverse()) await c().catch((e: unknown) => console.error('cleanup failed:', e))
    }
  })

  it('stops cleanly while it waits: done resolves having claimed nothing; a drain rejects with DatabaseUnavailableError', { timeout: 60_000 }, async () => {
    const cleanups: Cleanup[] = []
    try {
      const { driver } = await stoppedServer(cleanups)
      const queue = queueOn(driver).entrypoint('step', {}, () => undefined)
      let startErrors = 0
      queue.on('worker:error', ({ during }) => void (during === 'start' && startErrors++))
      await expect(queue.drain()).rejects.toBeInstanceOf(DatabaseUnavailableError)
      const worker = queue.start({ pollInterval: 200 })
      await expect.poll(() => startErrors, { timeout: 15_000 }).toBeGreaterThanOrEqual(1)
      await expect(worker.stop()).resolves.toMatchObject({ claimed: 0, succeeded: 0 })
    } finally {
      for (const c of cleanups.reverse()) await c().catch((e: unknown) => console.error('cleanup failed:', e))
    }
  })
})

/**
 * A migrated embedded server of its own (stopped at cleanup) and a driver on it that outlives
 * it: `stop()` takes the server down, `start()` brings it back on the same port and data.
 */
async function ownServer(driverName: DriverName, name: string, cleanups: Cleanup[]) {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), `pgq-resilience-${name}-`))
  cleanups.push(() => fs.rm(dataDir, { recursive: true, force: true }))
  let server = await startEmbeddedPostgres({ dataDir, fast: true })
  cleanups.push(() => server.stop()) // the current server, whichever it is by then
  await withPgClient(server.url, (c) => migrate(c, { schema: 'pgq' }))
  if (driverName === 'neon-serverless') await useNeonProxyFor([server.url], cleanups)
  return {
    driver: ownDriver(driverName, server.url, cleanups),
    get url() {
      return server.url
    },
    stop: () => server.stop(),
    async start() {
      server = await startEmbeddedPostgres({ dataDir, port: server.port, fast: true })
    },
  }
}

async function counts(c: PgClient): Promise<{ successful: number; left: number }> {
  const { rows } = await c.query<{ successful: number; left: number }>(
    `select (select count(distinct job_id)::int from pgq.log where status = 'successful') as successful,
            (select count(*)::int from pgq.jobs) as left`,
  )
  return rows[0]!
}

/**
 * Neon's driver reaches servers through a ws proxy with an allowlist; the tests' global one
 * allows only the shared server. This one allows `urls`, and is the global one until cleanup.
 */
async function useNeonProxyFor(urls: string[], cleanups: Cleanup[]): Promise<void> {
  const target = (u: string) => {
    const { hostname, port } = new URL(u)
    return { host: hostname.replace(/^\[|\]$/g, ''), port: Number(port || 5432) }
  }
  const proxy = await startWsProxy({ allow: urls.map(target) })
  configureNeonForLocalProxy(proxy.port)
  cleanups.push(async () => {
    configureNeonForLocalProxy(wsProxyPort())
    await proxy.close()
  })
}

/**
 * A driver on `url` whose pool is ended at cleanup (driver.end() leaves a given pool open) and
 * ignores errors: servers go away on purpose here. For Neon, call useNeonProxyFor first.
 */
function ownDriver(name: DriverName, url: string, cleanups: Cleanup[], options: { preparedStatements?: boolean } = {}): PgqDriver {
  let driver: PgqDriver
  let endPool: () => Promise<void>
  if (name === 'node-postgres') {
    const pool = new pg.Pool({ connectionString: url, max: 10 })
    pool.on('error', () => undefined)
    driver = nodePostgresDriver({ pool, ...options })
    endPool = () => pool.end()
  } else {
    const pool = new NeonPool({ connectionString: url, max: 10 })
    pool.on('error', () => undefined)
    driver = neonServerlessDriver({ pool, ...options })
    endPool = () => pool.end()
  }
  cleanups.push(async () => {
    await driver.end()
    await endPool().catch(() => undefined)
  })
  return driver
}
