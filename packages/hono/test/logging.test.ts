// The server's logs never carry payloads or header values, nor do answers carry database
// errors: a real PostgreSQL error quoting the payload becomes a bare 500, logged by name.
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { format } from 'node:util'
import { nodePostgresDriver, type PgqDriver, withPgClient } from '@pgq/core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import type { TestDatabase } from '../../core/test/setup/database.js'
import { createQueueApi } from '../src/index.js'
import { bearer, driverFor, freshDatabase, testQueue } from './support.js'

const SECRET = 'SECRET-MARKER-5f1c'

let db: TestDatabase
let driver: PgqDriver
beforeAll(async () => {
  db = await freshDatabase('hono_logging')
  driver = driverFor(db)
  // Refuses every insert with PostgreSQL's own error, quoting the row's data in message, detail and hint.
  await withPgClient(db.url, (c) =>
    c.query(`
      create function public.refuse_job() returns trigger language plpgsql as $$
      begin
        raise exception 'refused payload %', new.payload using detail = 'headers: ' || coalesce(new.headers::text, ''), hint = coalesce(new.dedupe_key, '');
      end $$;
      create trigger refuse_job before insert on pgq.jobs for each row execute function public.refuse_job();`),
  )
})
afterAll(async () => {
  await driver?.end()
  await db?.drop()
})

let logged: string[] = []
beforeEach(() => {
  logged = []
  for (const method of ['error', 'warn', 'log', 'info', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void logged.push(format(...args)))
  }
})
afterEach(() => vi.restoreAllMocks())

const postJson = (body: unknown) => ({ method: 'POST', headers: { ...bearer('t'), 'content-type': 'application/json' }, body: JSON.stringify(body) })

describe('logs and answers', () => {
  it('answers a database error with a bare 500 and logs its route and kind, not the data it quotes', async () => {
    const app = createQueueApi({ queue: testQueue(driver), token: 't' })
    for (const body of [
      { entrypoint: 'ok', payload: { card: SECRET }, headers: { auth: SECRET }, dedupeKey: SECRET },
      [{ entrypoint: 'ok', payload: [SECRET] }, { entrypoint: 'ok', headers: { auth: { nested: SECRET } } }],
    ]) {
      const res = await app.request('/jobs', postJson(body))
      expect(res.status).toBe(500)
      expect(await res.text()).toBe('{"error":"internal_error"}')
    }
    expect(logged).toHaveLength(2)
    // PostgreSQL's error (P0001: raise_exception) is named, as the driver threw it; its message, detail and hint are not.
    for (const line of logged) expect(line).toMatch(/^pgq http: POST \/jobs failed: DatabaseError code=P0001\b/)
    expect(logged.join('\n')).not.toContain(SECRET)
    expect(logged.join('\n')).not.toContain('refused payload')
  })

  it('logs nothing of a refused body, and nothing at all for 4xx answers', async () => {
    const app = createQueueApi({ queue: testQueue(driver), token: 't' })
    const answers = await Promise.all([
      app.request('/jobs', postJson({ entrypoint: 'ok', payload: { card: `${SECRET}\u0000` }, headers: { auth: SECRET } })),
      app.request('/jobs', postJson({ entrypoint: 'ok', payload: SECRET, priority: 1e9 })),
      app.request('/jobs', { ...postJson({}), body: `{"entrypoint":"ok","payload":"${SECRET}` }),
      app.request('/jobs', { ...postJson({}), body: `{"entrypoint":"ok","payload":{"a":"${SECRET}","a":1}}` }),
      app.request('/jobs', { ...postJson({}), headers: { ...bearer('t'), 'content-type': 'text/plain' } }),
      app.request('/jobs', { ...postJson({ entrypoint: 'ok', payload: SECRET }), headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' } }),
    ])
    expect(answers.map((a) => a.status)).toEqual([400, 400, 400, 400, 415, 403])
    for (const answer of answers) expect(await answer.text()).not.toContain(SECRET)
    expect(logged).toEqual([])
  })

  it('logs a failed release of a per-request queue without its message', async () => {
    const app = createQueueApi({
      queueFor: () => ({ queue: testQueue(driver), end: () => Promise.reject(Object.assign(new Error(`could not close ${SECRET}`), { code: 'ECONNRESET' })) }),
      token: 't',
    })
    expect((await app.request('/stats', { headers: bearer('t') })).status).toBe(200)
    expect(logged).toEqual(['pgq http: releasing the queue failed: Error code=ECONNRESET (message withheld: it may quote job data)'])
  })

  it('answers 500 for an unexpected error, logged by name only', async () => {
    const broken = Object.assign(testQueue(driver), { queueSize: () => Promise.reject(new TypeError(`connect ECONNREFUSED db.internal:5432 password=${SECRET}`)) }) as never
    const res = await createQueueApi({ queue: broken, token: 't' }).request('/stats', { headers: bearer('t') })
    expect(res.status).toBe(500)
    expect(await res.text()).toBe('{"error":"internal_error"}')
    expect(logged).toEqual(['pgq http: GET /stats failed: TypeError (message withheld: it may quote job data)'])
  })

  it('answers 500 when something throws a value that is not an Error (Hono would answer nothing)', async () => {
    const event = { type: 'error', message: `socket to ${SECRET} failed`, target: {} } // as a WebSocket ErrorEvent
    const broken = Object.assign(testQueue(driver), { queueSize: () => Promise.reject(event) }) as never
    const res = await createQueueApi({ queue: broken, token: 't' }).request('/stats', { headers: bearer('t') })
    expect(res.status).toBe(500)
    expect(await res.text()).toBe('{"error":"internal_error"}')
    expect(logged).toEqual(['pgq http: GET /stats failed: Error <- Object (message withheld: it may quote job data)'])
  })

  it('answers 503 database_unavailable with Retry-After when PostgreSQL cannot be reached, and logs the route and the kind', async () => {
    const port = await closedPort()
    const unreachable = nodePostgresDriver({ connectionString: `postgresql://postgres@127.0.0.1:${port}/postgres`, max: 1 })
    try {
      const app = createQueueApi({ queue: testQueue(unreachable), token: 't' })
      const flow = [{ key: 'a', entrypoint: 'ok', payload: { card: SECRET } }]
      for (const res of [
        await app.request('/jobs', postJson({ entrypoint: 'ok', payload: { card: SECRET } })),
        await app.request('/flows', postJson(flow)), // its own transaction's connection, as typed as a statement's
        await app.request('/stats', { headers: bearer('t') }),
      ]) {
        expect(res.status).toBe(503)
        expect(res.headers.get('retry-after')).toBe('1')
        expect(await res.json()).toEqual({ error: 'database_unavailable', message: "The queue's database is unavailable; retry shortly.", reason: 'ECONNREFUSED' })
      }
      // The dashboard's pages say the same as a 503 page.
      const dashboard = createQueueApi({ queue: testQueue(unreachable), token: 't', dashboard: true })
      const page = await dashboard.request('/dashboard', { headers: bearer('t') })
      expect(page.status).toBe(503)
      expect(page.headers.get('retry-after')).toBe('1')
      expect(await page.text()).toContain("The queue&#39;s database is unavailable; reload this page shortly.")
      expect(logged).toHaveLength(4)
      expect(logged[0]).toMatch(/^pgq http: POST \/jobs: the database is unavailable: DatabaseUnavailableError code=PGQ_DATABASE_UNAVAILABLE <- \w+ code=ECONNREFUSED/)
      for (const line of logged) expect(line).not.toContain(SECRET)
    } finally {
      await unreachable.end()
    }
  })

  it('answers 503 database_access when PostgreSQL refuses the login, without the server\'s words, and logs the route and the kind', async () => {
    const url = new URL(db.url)
    url.username = 'pgq_no_such_role'
    const refused = nodePostgresDriver({ connectionString: url.toString(), max: 1 })
    try {
      const app = createQueueApi({ queue: testQueue(refused), token: 't' })
      const flow = [{ key: 'a', entrypoint: 'ok', payload: { card: SECRET } }]
      for (const res of [
        await app.request('/jobs', postJson({ entrypoint: 'ok', payload: { card: SECRET } })),
        await app.request('/flows', postJson(flow)), // its own transaction's connection, as typed as a statement's
        await app.request('/stats', { headers: bearer('t') }),
      ]) {
        expect(res.status).toBe(503)
        expect(res.headers.get('retry-after')).toBeNull()
        const body = await res.json()
        // 28000 on a trusting server, 28P01 where a password is asked (CI's).
        expect(body).toEqual({ error: 'database_access', message: "The queue's database refused its connection (credentials or database name); the operator must fix it.", reason: expect.stringMatching(/^28(000|P01)$/) })
        expect(JSON.stringify(body)).not.toContain('pgq_no_such_role')
      }
      expect(logged).toHaveLength(3)
      expect(logged[0]).toMatch(/^pgq http: POST \/jobs: the database refused the connection: DatabaseAccessError code=PGQ_DATABASE_ACCESS <- \w+ code=28(000|P01)/)
      for (const line of logged) expect(line).not.toContain(SECRET)
    } finally {
      await refused.end()
    }
  })
})

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}
