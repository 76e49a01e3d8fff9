// The Hyperdrive Worker inside workerd (nodejs_compat, node-postgres), against PostgreSQL
// through wrangler's local Hyperdrive binding: enqueue, drain, and the scheduled() handler.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test'
import { env as rawEnv } from 'cloudflare:workers'
import pg from 'pg'
import { beforeEach, describe, expect, it } from 'vitest'
import worker, { type Env } from '../../src/worker-hyperdrive.js'

const env = rawEnv as unknown as Env

/** SQL on the test database through the same binding, on a client of its own. */
async function sql<T = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: env.HYPERDRIVE.connectionString })
  client.on('error', () => undefined) // a close at the end of the request is not a failure
  await client.connect()
  try {
    return (await client.query(text, values)).rows as T[]
  } finally {
    await client.end()
  }
}

async function call(method: string, path: string, body?: unknown) {
  const headers = new Headers({ authorization: `Bearer ${env.PGQ_TOKEN}` })
  if (body !== undefined) headers.set('content-type', 'application/json')
  const ctx = createExecutionContext()
  const request = new Request(`http://worker.test${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const response = await worker.fetch(request, env, ctx)
  await waitOnExecutionContext(ctx)
  const text = await response.text()
  return { status: response.status, json: text ? JSON.parse(text) : undefined }
}

async function scheduled() {
  const ctx = createExecutionContext()
  await worker.scheduled(createScheduledController({ cron: '* * * * *', scheduledTime: Date.now() }), env, ctx)
  await waitOnExecutionContext(ctx)
}

beforeEach(async () => {
  await sql('delete from pgq.jobs; delete from pgq.log; delete from pgq.schedules')
})

describe('the Hyperdrive Worker', () => {
  it('reaches the database through the binding', async () => {
    const [row] = await sql<{ db: string }>('select current_database() as db')
    expect(row!.db).toMatch(/^pgq_test_hyperdrive_/)
    expect(new URL(env.HYPERDRIVE.connectionString).hostname).toMatch(/hyperdrive\.local$/)
  })

  it('enqueues, drains, retries and keeps the traceback', async () => {
    const enqueued = await call('POST', '/jobs', [
      { entrypoint: 'greet', payload: { name: 'Ada' } },
      { entrypoint: 'broken', payload: { file: 'report.csv' } },
    ])
    expect(enqueued.status).toBe(201)
    const [greet, broken] = enqueued.json.ids as [number, number]
    expect(await sql('select id, status::text from pgq.jobs order by id')).toEqual([
      { id: String(greet), status: 'queued' },
      { id: String(broken), status: 'queued' },
    ])

    const drained = await call('POST', '/drain', {})
    expect(drained.status).toBe(200)
    expect(drained.json).toMatchObject({ succeeded: expect.any(Number), retried: 1 })
    expect((await call('GET', `/jobs/${greet}`)).json).toMatchObject({ status: 'successful', inQueue: false })
    const retried = (await call('GET', `/jobs/${broken}`)).json
    expect(retried).toMatchObject({ status: 'queued', attempts: 1, traceback: { name: 'TypeError', message: 'cannot parse report.csv' } })
  })

  it('fires due schedules and drains from the scheduled() handler, leaving no session open', async () => {
    const { json } = await call('POST', '/jobs', { entrypoint: 'greet', payload: { name: 'cron' } })
    await scheduled()
    expect((await call('GET', `/jobs/${json.id}`)).json).toMatchObject({ status: 'successful' })
    // The schedule was stored by the first run; its every-second tick is due by the next.
    const [stored] = await sql<{ next_run: Date }>(`select next_run from pgq.schedules where entrypoint = 'report'`)
    expect(stored).toBeDefined()
    await sql(`update pgq.schedules set next_run = now() - interval '1 second' where entrypoint = 'report'`)
    await scheduled()
    const reports = await sql<{ status: string }>(`select status::text from pgq.log where entrypoint = 'report'`)
    expect(reports.map((r) => r.status)).toContain('successful')

    // The driver was ended in waitUntil: only this query's session is left.
    expect(await sql('select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()')).toEqual([{ n: 0 }])
  })
})
