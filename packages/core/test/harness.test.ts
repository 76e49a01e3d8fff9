// Proves the test harness: the embedded (or given) server, Neon's driver through our ws proxy,
// the proxy's allowlist, connection cap and idle timeout, node-postgres, isolated databases.
import net from 'node:net'
import { Client as NeonClient, type Pool as NeonPool } from '@neondatabase/serverless'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { configureNeonForLocalProxy } from './support/neon-local-proxy.js'
import { startWsProxy, type WsProxy } from '../src/proxy/ws-proxy.js'
import {
  createTestDatabase,
  neonClient,
  neonPool,
  pgPool,
  type TestDatabase,
  testDatabaseUrl,
} from './setup/database.js'

/** host:port of the test server, as the proxy allowlist sees it. */
function serverTarget(): { host: string; port: number } {
  const u = new URL(testDatabaseUrl())
  return { host: u.hostname, port: Number(u.port || 5432) }
}

/** A Neon Client that uses `proxy` (instead of the shared one) to reach `url`. */
function neonClientVia(proxy: WsProxy, url: string): NeonClient {
  const client = new NeonClient({ connectionString: url })
  configureNeonForLocalProxy(proxy.port, { target: client.neonConfig })
  return client
}

/** Opens a raw WebSocket to the proxy; resolves with the close code/reason and bytes received. */
function rawWs(proxy: WsProxy, path: string, sendOnOpen?: Buffer): Promise<{ code: number; reason: string; bytes: number; opened: boolean }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${proxy.url}${path}`)
    let bytes = 0
    let opened = false
    ws.on('open', () => {
      opened = true
      if (sendOnOpen) ws.send(sendOnOpen)
    })
    ws.on('message', (d: Buffer) => {
      bytes += d.length
    })
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString(), bytes, opened }))
    ws.on('error', reject)
  })
}

/** An upgrade the proxy must refuse: resolves with its HTTP status (it must never open). */
function refusedStatus(proxy: WsProxy, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${proxy.url}${path}`)
    ws.on('unexpected-response', (_req, res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    ws.on('open', () => reject(new Error(`the proxy accepted ${path}`)))
    ws.on('error', reject)
  })
}

async function until(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}

// An SSLRequest-sized startup probe: 8 bytes a real Postgres client could send first.
const STARTUP_PROBE = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])

describe('Neon serverless driver through the ws proxy', () => {
  let db: TestDatabase
  let pool: NeonPool

  beforeAll(async () => {
    db = await createTestDatabase('harness_neon')
    pool = neonPool(db.url)
  })
  afterAll(async () => {
    await pool?.end()
    await db?.drop()
  })

  it('runs select 1', async () => {
    const { rows } = await pool.query('select 1 as one')
    expect(rows).toEqual([{ one: 1 }])
  })

  it('runs a transaction with FOR UPDATE SKIP LOCKED on a temp table', async () => {
    const client = await pool.connect()
    try {
      await client.query('create temp table jobs (id int primary key)')
      await client.query('insert into jobs select generate_series(1, 5)')
      await client.query('begin')
      const { rows } = await client.query('select id from jobs order by id limit 2 for update skip locked')
      expect(rows.map((r) => r.id)).toEqual([1, 2])
      await client.query('delete from jobs where id = any($1)', [[1, 2]])
      await client.query('commit')
      const left = await client.query('select count(*)::int as n from jobs')
      expect(left.rows[0].n).toBe(3)
    } finally {
      client.release(true) // temp table dies with the session
    }
  })

  it('SKIP LOCKED skips rows locked by another session', async () => {
    await pool.query('create table shared_jobs (id int primary key)')
    await pool.query('insert into shared_jobs select generate_series(1, 4)')
    const a = await pool.connect()
    const b = await pool.connect()
    try {
      await a.query('begin')
      const first = await a.query('select id from shared_jobs order by id limit 2 for update skip locked')
      await b.query('begin')
      const second = await b.query('select id from shared_jobs order by id limit 2 for update skip locked')
      expect(first.rows.map((r) => r.id)).toEqual([1, 2])
      expect(second.rows.map((r) => r.id)).toEqual([3, 4])
      await a.query('commit')
      await b.query('commit')
    } finally {
      a.release()
      b.release()
    }
  })

  it('pipes large messages both ways', async () => {
    const big = 'x'.repeat(8 * 1024 * 1024)
    const echoed = await pool.query('select length($1::text) as n, md5($1::text) = md5(repeat($2, $3)) as same', [big, 'x', big.length])
    expect(echoed.rows[0]).toEqual({ n: big.length, same: true })
    const { rows } = await pool.query(`select string_agg(md5(i::text), '') as s from generate_series(1, 200000) i`)
    expect(rows[0].s.length).toBe(200000 * 32)
  })

  it('delivers NOTIFY to a LISTENing Client', async () => {
    const listener = neonClient(db.url)
    await listener.connect()
    try {
      await listener.query('listen pgq_harness')
      const got = new Promise<{ channel: string; payload?: string }>((resolve) =>
        listener.on('notification', (n) => resolve(n)),
      )
      await pool.query(`select pg_notify('pgq_harness', 'hello')`)
      const n = await got
      expect(n.channel).toBe('pgq_harness')
      expect(n.payload).toBe('hello')
    } finally {
      await listener.end()
    }
  })
})

describe('ws proxy allowlist', () => {
  let proxy: WsProxy
  let trap: net.Server
  let trapPort: number
  let trapConnections = 0

  beforeAll(async () => {
    proxy = await startWsProxy({ allow: [serverTarget()] })
    // A TCP server on a port that is NOT allowed: it must never see a connection.
    trap = net.createServer((s) => {
      trapConnections++
      s.destroy()
    })
    await new Promise<void>((r) => trap.listen(0, '127.0.0.1', r))
    trapPort = (trap.address() as net.AddressInfo).port
  })
  afterAll(async () => {
    await proxy?.close()
    await new Promise((r) => trap?.close(r))
  })

  it('refuses a non-allowlisted target before connecting to it (Neon client)', async () => {
    const client = neonClientVia(proxy, `postgresql://postgres:postgres@127.0.0.1:${trapPort}/postgres`)
    client.on('error', () => {})
    await expect(client.connect()).rejects.toThrow()
    await new Promise((r) => setTimeout(r, 100))
    expect(trapConnections).toBe(0)
    expect(proxy.stats()).toMatchObject({ open: 0, total: 0, refused: 1 })
  })

  it('refuses other ports, aliases of the host and malformed addresses with HTTP 403 at the upgrade', async () => {
    const { host, port } = serverTarget()
    const refusedPaths = [
      `/v2?address=127.0.0.1:${trapPort}`,
      `/?address=127.0.0.1:${trapPort}`,
      `/v2?address=127.0.0.1:1`,
      `/v2?address=${host === 'localhost' ? '127.0.0.1' : 'localhost'}:${port}`,
      `/v2?address=127.1:${port}`,
      `/v2?address=[::1]:${port}`,
      `/v2?address=${host}:0x${port.toString(16)}`,
      `/v2?address=${host}:${port}&address=127.0.0.1:${trapPort}`,
      `/v2`,
      `/other?address=${host}:${port}`,
    ]
    for (const path of refusedPaths) expect(await refusedStatus(proxy, path), path).toBe(403)
    expect(trapConnections).toBe(0)
    expect(proxy.stats().total).toBe(0)
  })

  it('accepts the allowlisted target on /v2 and /', async () => {
    const { host, port } = serverTarget()
    for (const path of [`/v2?address=${host}:${port}`, `/?address=${host}:${port}`]) {
      const ws = new WebSocket(`${proxy.url}${path}`)
      await new Promise((r, j) => ws.once('open', r).once('error', j))
      // SSLRequest: a real Postgres answers one byte ('N' or 'S') through the proxy.
      ws.send(STARTUP_PROBE)
      const reply = await new Promise<Buffer>((r) => ws.once('message', r))
      expect(reply.length).toBe(1)
      ws.close()
      await new Promise((r) => ws.once('close', r))
    }
    await until(() => proxy.stats().open === 0)
  })
})

describe('ws proxy upstream handling', () => {
  it('closes the WebSocket when the TCP side goes away', async () => {
    // An allowed target that accepts and immediately hangs up.
    const hangup = net.createServer((s) => s.destroy())
    await new Promise<void>((r) => hangup.listen(0, '127.0.0.1', r))
    const port = (hangup.address() as net.AddressInfo).port
    const proxy = await startWsProxy({ allow: [{ host: '127.0.0.1', port }, { host: '127.0.0.1', port: 1 }] })
    try {
      const r = await rawWs(proxy, `/v2?address=127.0.0.1:${port}`, STARTUP_PROBE)
      expect([1000, 1011]).toContain(r.code)
      // Nothing listens on port 1: connect fails, the client hears why.
      const refused = await rawWs(proxy, '/v2?address=127.0.0.1:1', STARTUP_PROBE)
      expect(refused).toMatchObject({ code: 1011, reason: 'upstream: ECONNREFUSED' })
      const client = neonClientVia(proxy, `postgresql://postgres:postgres@127.0.0.1:${port}/postgres`)
      client.on('error', () => {})
      await expect(client.connect()).rejects.toThrow()
      await until(() => proxy.stats().open === 0)
    } finally {
      await proxy.close()
      await new Promise((r) => hangup.close(r))
    }
  })
})

describe('ws proxy limits', () => {
  it('caps concurrent connections, refusing the next upgrade with HTTP 503', async () => {
    const proxy = await startWsProxy({ allow: [serverTarget()], maxConnections: 2 })
    const url = testDatabaseUrl()
    const clients = [neonClientVia(proxy, url), neonClientVia(proxy, url)]
    try {
      for (const c of clients) await c.connect()
      expect(proxy.stats().open).toBe(2)

      const extra = neonClientVia(proxy, url)
      extra.on('error', () => {})
      await expect(extra.connect()).rejects.toThrow()
      const { host, port } = serverTarget()
      expect(await refusedStatus(proxy, `/v2?address=${host}:${port}`)).toBe(503)
      expect(proxy.stats()).toMatchObject({ open: 2, total: 2, refused: 2 })

      // A freed slot is usable again.
      await clients.shift()?.end()
      await until(() => proxy.stats().open === 1)
      const again = neonClientVia(proxy, url)
      await again.connect()
      expect((await again.query('select 1 as one')).rows).toEqual([{ one: 1 }])
      clients.push(again)
    } finally {
      await Promise.all(clients.map((c) => c.end().catch(() => {})))
      await proxy.close()
    }
  })

  it('closes idle sessions', async () => {
    const proxy = await startWsProxy({ allow: [serverTarget()], idleTimeoutMs: 300 })
    try {
      const client = neonClientVia(proxy, testDatabaseUrl())
      client.on('error', () => {})
      await client.connect()
      const ended = new Promise<void>((r) => client.once('end', () => r()))
      await ended
      expect(proxy.stats().open).toBe(0)
    } finally {
      await proxy.close()
    }
  })

  it('closes a session that does not log in in time (1008), freeing its slot, and leaves logged-in ones alone', async () => {
    const proxy = await startWsProxy({ allow: [serverTarget()], maxConnections: 2, loginTimeoutMs: 300 })
    const { host, port } = serverTarget()
    try {
      const silent = new WebSocket(`${proxy.url}/v2?address=${host}:${port}`)
      const closed = new Promise<[number, string]>((resolve) => silent.once('close', (code, reason) => resolve([code, reason.toString()])))
      const client = neonClientVia(proxy, testDatabaseUrl())
      client.on('error', () => {})
      await client.connect()
      // Before, a socket that never sent its startup message held a slot for the idle timeout (5 minutes).
      expect(await closed).toEqual([1008, 'no login in time'])
      await until(() => proxy.stats().open === 1)
      expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }])
      await client.end()
    } finally {
      await proxy.close()
    }
  })

  it('close() terminates open sessions', async () => {
    const proxy = await startWsProxy({ allow: [serverTarget()] })
    const client = neonClientVia(proxy, testDatabaseUrl())
    client.on('error', () => {})
    await client.connect()
    const ended = new Promise<void>((r) => client.once('end', () => r()))
    await proxy.close()
    await ended
    expect(proxy.stats().open).toBe(0)
  })
})

describe('node-postgres', () => {
  it('runs select 1 on the same server', async () => {
    const pool = pgPool(testDatabaseUrl())
    try {
      const { rows } = await pool.query('select 1 as one')
      expect(rows).toEqual([{ one: 1 }])
    } finally {
      await pool.end()
    }
  })
})

describe('createTestDatabase', () => {
  it('gives isolated databases and drops them', async () => {
    const a = await createTestDatabase('iso')
    const b = await createTestDatabase('iso')
    const pa = pgPool(a.url)
    const pb = neonPool(b.url)
    try {
      expect(a.name).toMatch(/^pgq_test_iso_[0-9a-f]{10}$/)
      expect(a.name).not.toBe(b.name)
      await pa.query('create table only_in_a (x int)')
      expect((await pa.query('select current_database() as d')).rows[0].d).toBe(a.name)
      expect((await pb.query('select current_database() as d')).rows[0].d).toBe(b.name)
      expect((await pb.query(`select to_regclass('only_in_a') as t`)).rows[0].t).toBeNull()
      expect((await pa.query(`select to_regclass('only_in_a')::text as t`)).rows[0].t).toBe('only_in_a')
    } finally {
      // Drop with connections still open: WITH (FORCE) disconnects them.
      await a.drop()
      await b.drop()
      await pa.end().catch(() => {})
      await pb.end().catch(() => {})
    }
    const admin = pgPool(testDatabaseUrl())
    try {
      const { rows } = await admin.query('select datname from pg_database where datname = any($1)', [[a.name, b.name]])
      expect(rows).toEqual([])
    } finally {
      await admin.end()
    }
  })
})
