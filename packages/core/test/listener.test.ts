import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Pool as NeonPool } from '@neondatabase/serverless'
import pg from 'pg'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { ListenerConnection, PgqDriver } from '../src/driver/driver.js'
import { neonServerlessDriver } from '../src/driver/neon-serverless/index.js'
import { configureNeonForLocalProxy } from './support/neon-local-proxy.js'
import { nodePostgresDriver } from '../src/driver/node-postgres/index.js'
import { startEmbeddedPostgres } from '@pgq/embedded'
import { migrate } from '../src/migrations/migrator.js'
import { eventsChannel } from '../src/schema/schema-name.js'
import { startWsProxy } from '../src/proxy/ws-proxy.js'
import { createProducer } from '../src/runtime/producer.js'
import { type Listener, type ListenerOptions, startListener } from '../src/queue/listener.js'
import { ListenerUnavailableError } from '../src/queue/listener-errors.js'
import type { QueueNotification } from '../src/queue/notify-events.js'
import { createTestDatabase, wsProxyPort } from './setup/database.js'
import { startPgBouncer } from './setup/pgbouncer.js'
import { DRIVERS, type DriverName, useQueueDatabase } from './support/queue-database.js'

const CHANNEL = eventsChannel('pgq')

/** Collects what a listener reports. */
function recorder() {
  const r = {
    events: [] as QueueNotification[],
    lost: [] as Error[],
    restored: 0,
    options: {
      onNotification: (n: QueueNotification) => void r.events.push(n),
      onLost: (e: Error) => void r.lost.push(e),
      onRestored: () => void r.restored++,
    } satisfies Partial<ListenerOptions>,
  }
  return r
}

const waitFor = <T>(fn: () => T, timeout = 15_000) => vi.waitFor(fn, { timeout, interval: 10 })

describe.each(DRIVERS)('listener over %s', (driverName) => {
  const q = useQueueDatabase('listener', driverName)
  let listener: Listener | undefined
  afterEach(async () => {
    await listener?.close()
    listener = undefined
  })
  const listenerPid = async () =>
    (await q.sql(`select pid from pg_stat_activity where datname = current_database() and query ilike 'listen%'`)).map((r) => r.pid)

  it('passes on insert and cancel events, and never pings or garbage', async () => {
    const r = recorder()
    // Frequent health checks, so that pings flow while we watch.
    listener = await startListener({ driver: q.driver, channel: CHANNEL, ...r.options, healthCheckIntervalMs: 20 })
    expect(listener.healthy).toBe(true)

    const ids = await q.producer().enqueueMany([
      { entrypoint: 'a', payload: null },
      { entrypoint: 'a', payload: null },
      { entrypoint: 'b', payload: null },
    ])
    await waitFor(() => expect(r.events).toContainEqual({ type: 'insert', entrypoints: { a: 2, b: 1 } }))
    await q.producer().cancel(ids.slice(0, 2))
    await waitFor(() => expect(r.events.find((e) => e.type === 'cancel')).toBeDefined())
    expect(r.events.find((e) => e.type === 'cancel')).toEqual({ type: 'cancel', ids: expect.arrayContaining(ids.slice(0, 2)) })

    await q.sql(`select pg_notify($1, $2)`, [CHANNEL, '{"type":"ping","id":"someone-elses"}'])
    await q.sql(`select pg_notify($1, 'not json'), pg_notify($1, '{"type":"insert"}')`, [CHANNEL])
    await q.sql(`select pg_notify($1, '{"type":"done","ids":[7]}')`, [CHANNEL])
    await waitFor(() => expect(r.events.at(-1)).toEqual({ type: 'done', ids: [7] }))
    await new Promise((res) => setTimeout(res, 100)) // several health checks' worth of pings
    expect(r.events.map((e) => e.type)).toEqual(['insert', 'cancel', 'done'])
    expect(r.lost).toEqual([])
  })

  it('reconnects after its backend is killed, and hears what is sent afterwards', async () => {
    const r = recorder()
    listener = await startListener({ driver: q.driver, channel: CHANNEL, ...r.options })
    const [pid] = await listenerPid()
    const t0 = performance.now()
    await q.sql('select pg_terminate_backend($1)', [pid])
    await waitFor(() => expect(r.lost).toHaveLength(1))
    const lostMs = performance.now() - t0
    await waitFor(() => expect(r.restored).toBe(1))
    console.log(`[listener ${driverName}] kill: lost after ${lostMs.toFixed(0)} ms, restored after ${(performance.now() - t0).toFixed(0)} ms`)
    expect(listener.healthy).toBe(true)
    expect(await listenerPid()).not.toContain(pid)

    await q.producer().enqueue('after_kill', null)
    await waitFor(() => expect(r.events).toContainEqual({ type: 'insert', entrypoints: { after_kill: 1 } }))
  })

  it('notices a connection that stops delivering, through its health check', async () => {
    const r = recorder()
    const deaf = { on: false }
    listener = await startListener({
      driver: deafenable(q.driver, deaf),
      channel: CHANNEL,
      ...r.options,
      healthCheckIntervalMs: 50,
      roundTripTimeoutMs: 200,
      reconnectDelayMs: { min: 20, max: 100 },
    })
    deaf.on = true
    await waitFor(() => expect(r.lost).toHaveLength(1))
    expect(r.lost[0]?.message).toMatch(/did not arrive/)
    expect(listener.healthy).toBe(false)
    await new Promise((res) => setTimeout(res, 300)) // reconnects keep failing while deaf
    expect(r.restored).toBe(0)
    deaf.on = false
    await waitFor(() => expect(r.restored).toBe(1))
    expect(listener.healthy).toBe(true)
  })

  it('rejects a connection inside a transaction block', async () => {
    const inTx: PgqDriver = {
      ...q.driver,
      listener: async () => {
        const s = await q.driver.listener()
        await s.query('begin')
        return s
      },
    }
    const err = await startListener({ driver: inTx, channel: CHANNEL, onNotification: () => {} }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ListenerUnavailableError)
    expect(err).toMatchObject({ code: 'PGQ_LISTENER_UNAVAILABLE', reason: 'in-transaction' })
  })

  it('close() during a reconnect backoff stops at once and releases everything', async () => {
    const r = recorder()
    listener = await startListener({ driver: q.driver, channel: CHANNEL, ...r.options, reconnectDelayMs: { min: 60_000, max: 60_000 } })
    await q.sql('select pg_terminate_backend($1)', await listenerPid())
    await waitFor(() => expect(r.lost).toHaveLength(1))
    const t0 = performance.now()
    await listener.close()
    expect(performance.now() - t0).toBeLessThan(500)
    expect(listener.healthy).toBe(false)
    await waitFor(async () => expect(await listenerPid()).toEqual([]))
    expect(r.restored).toBe(0)
  })
})

describe.each(DRIVERS)('listener over %s, own server', (driverName) => {
  let cleanups: (() => Promise<unknown>)[] = []
  beforeEach(() => {
    cleanups = []
  })
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c()
  })

  it('comes back after a real PostgreSQL restart and hears events sent afterwards', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgq-listener-restart-'))
    cleanups.push(() => fs.rm(dataDir, { recursive: true, force: true }))
    let server = await startEmbeddedPostgres({ dataDir, fast: true })
    cleanups.push(() => server.stop())
    await installPgq(server.url)
    const driver = await ownDriver(driverName, server.url, cleanups)

    const r = recorder()
    const listener = await startListener({ driver, channel: CHANNEL, ...r.options, reconnectDelayMs: { min: 50, max: 500 } })
    cleanups.push(() => listener.close())

    const t0 = performance.now()
    await server.stop()
    await waitFor(() => expect(r.lost).toHaveLength(1))
    expect(listener.healthy).toBe(false)
    const t1 = performance.now()
    server = await startEmbeddedPostgres({ dataDir, port: server.port, fast: true })
    await waitFor(() => expect(r.restored).toBe(1))
    console.log(
      `[listener ${driverName}] restart: lost ${(t1 - t0).toFixed(0)} ms after stop began, restored ${(performance.now() - t1).toFixed(0)} ms after start began`,
    )

    await createProducer({ driver }).enqueue('after_restart', null)
    await waitFor(() => expect(r.events).toContainEqual({ type: 'insert', entrypoints: { after_restart: 1 } }))
  })

  it('refuses PgBouncer in transaction mode, naming the pooler and the fix; works in session mode', async () => {
    const db = await createTestDatabase(`listener_bouncer_${driverName.replace('-', '_')}`)
    cleanups.push(() => db.drop())
    await installPgq(db.url)

    const transaction = await startPgBouncer({ targetUrl: db.url, poolMode: 'transaction' })
    cleanups.push(() => transaction.stop())
    const viaTransaction = await ownDriver(driverName, transaction.url, cleanups)
    const t0 = performance.now()
    const err = await startListener({ driver: viaTransaction, channel: CHANNEL, onNotification: () => {}, roundTripTimeoutMs: 1_000 }).catch(
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(ListenerUnavailableError)
    expect(err).toMatchObject({ code: 'PGQ_LISTENER_UNAVAILABLE', reason: 'no-delivery' })
    const message = (err as Error).message
    expect(message).toMatch(/PgBouncer pool_mode=transaction/)
    expect(message).toMatch(/-pooler/)
    expect(message).toMatch(/direct \(non-pooled\) connection string/)
    expect(message).toMatch(/pool_mode=session/)
    console.log(`[listener ${driverName}] pgbouncer transaction mode rejected in ${(performance.now() - t0).toFixed(0)} ms`)

    const session = await startPgBouncer({ targetUrl: db.url, poolMode: 'session' })
    cleanups.push(() => session.stop())
    const viaSession = await ownDriver(driverName, session.url, cleanups)
    const r = recorder()
    const listener = await startListener({ driver: viaSession, channel: CHANNEL, ...r.options })
    cleanups.push(() => listener.close())
    await createProducer({ driver: viaSession }).enqueue('via_bouncer', null)
    await waitFor(() => expect(r.events).toContainEqual({ type: 'insert', entrypoints: { via_bouncer: 1 } }))
  })
})

async function installPgq(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await migrate(client, { schema: 'pgq' })
  } finally {
    await client.end()
  }
}

/**
 * A driver on a server other than the shared one. Its pools ignore errors (the server goes away
 * on purpose); for Neon, a ws proxy that may reach it, made the global one until cleanup.
 */
async function ownDriver(name: DriverName, url: string, cleanups: (() => Promise<unknown>)[]): Promise<PgqDriver> {
  let driver: PgqDriver
  if (name === 'node-postgres') {
    const pool = new pg.Pool({ connectionString: url, max: 5 })
    pool.on('error', () => {})
    driver = nodePostgresDriver({ pool })
  } else {
    const { hostname, port } = new URL(url)
    const proxy = await startWsProxy({ allow: [{ host: hostname, port: Number(port) }] })
    configureNeonForLocalProxy(proxy.port)
    cleanups.push(async () => {
      configureNeonForLocalProxy(wsProxyPort())
      await proxy.close()
    })
    const pool = new NeonPool({ connectionString: url, max: 5 })
    pool.on('error', () => {})
    driver = neonServerlessDriver({ pool })
  }
  cleanups.push(() => driver.end())
  return driver
}

/** Wraps a driver so that its listener connections drop every notification while `deaf.on`. */
function deafenable(driver: PgqDriver, deaf: { on: boolean }): PgqDriver {
  return {
    ...driver,
    async listener(): Promise<ListenerConnection> {
      const s = await driver.listener()
      return {
        query: (text, values) => s.query(text, values),
        onNotification: (fn) => s.onNotification((ch, p) => void (deaf.on || fn(ch, p))),
        onClose: (fn) => s.onClose(fn),
        close: () => s.close(),
      }
    },
  }
}
