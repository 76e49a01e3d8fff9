// The Worker inside workerd, against PostgreSQL through `pgq proxy`: the HTTP API, auth,
// validation, duplicates, drains, and the Cron Trigger's scheduled() handler.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import worker from '../../src/worker.js'
import { call, sleep, sql } from './helpers.js'

beforeEach(async () => {
  await sql('delete from pgq.jobs; delete from pgq.log; delete from pgq.schedules')
})

describe('auth', () => {
  it('serves /healthz without a token', async () => {
    expect(await call('GET', '/healthz', { token: null })).toMatchObject({ status: 200, json: { ok: true } })
  })

  it('answers 401 without a bearer token and 403 with a wrong one, on every other route', async () => {
    for (const [method, path] of [['GET', '/stats'], ['POST', '/jobs'], ['GET', '/jobs/1'], ['POST', '/jobs/1/cancel'], ['POST', '/jobs/requeue'], ['POST', '/drain']]) {
      const missing = await call(method!, path!, { token: null })
      expect(missing.status, `${method} ${path}`).toBe(401)
      expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/)
      expect((await call(method!, path!, { token: 'test-tokem' })).status, `${method} ${path}`).toBe(403)
    }
    expect((await call('GET', '/stats', { token: `${env.PGQ_TOKEN}x` })).status).toBe(403)
    expect((await call('GET', '/stats')).status).toBe(200)
  })
})

describe('validation', () => {
  it('answers 400 naming the problem, and writes nothing', async () => {
    const noEntrypoint = await call('POST', '/jobs', { body: { payload: { name: 'x' } } })
    expect(noEntrypoint.status).toBe(400)
    expect(noEntrypoint.json.issues.map((i: { path: string }) => i.path)).toContain('entrypoint')

    const typo = await call('POST', '/jobs', { body: { entrypoint: 'greet', payload: {}, dedupe_key: 'k' } })
    expect(typo.status).toBe(400)
    expect(JSON.stringify(typo.json.issues)).toContain('dedupe_key')

    expect(await call('POST', '/jobs', { rawBody: '{"entrypoint": ' })).toMatchObject({ status: 400, json: { error: 'invalid_request' } })
    expect(await call('GET', '/jobs/abc')).toMatchObject({ status: 400, json: { error: 'invalid_request' } })
    expect(await call('POST', '/drain', { body: { timeBudget: -5 } })).toMatchObject({ status: 400 })
    expect(await call('POST', '/jobs', { body: { entrypoint: 'nope', payload: null } })).toMatchObject({
      status: 400,
      json: { error: 'unknown_entrypoint', entrypoints: ['nope'] },
    })
    // A value Postgres cannot store is refused at the door, naming the field.
    expect(await call('POST', '/jobs', { body: { entrypoint: 'greet', payload: {}, priority: 99_999 } })).toMatchObject({
      status: 400,
      json: { error: 'invalid_request', issues: [{ path: 'priority' }] },
    })
    // When to run: runAt (an ISO time) or delay (milliseconds or text such as '5m'), each checked under its name.
    expect(await call('POST', '/jobs', { body: { entrypoint: 'greet', payload: {}, delay: 'soon' } })).toMatchObject({
      status: 400,
      json: { error: 'invalid_request', issues: [{ path: 'delay' }] },
    })
    expect(await call('POST', '/jobs', { body: { entrypoint: 'greet', payload: {}, runAt: 60_000 } })).toMatchObject({
      status: 400,
      json: { error: 'invalid_request', issues: [{ path: 'runAt' }] },
    })
    expect(await sql('select id from pgq.jobs')).toEqual([])
  })
})

describe('jobs', () => {
  it('refuses a duplicate dedupe key with 409 naming it, for one job and in a batch', async () => {
    const later = 60_000
    const first = await call('POST', '/jobs', { body: { entrypoint: 'greet', payload: { name: 'Ada' }, dedupeKey: 'welcome-ada', delay: later } })
    expect(first).toMatchObject({ status: 201, json: { id: expect.any(Number) } })
    const again = await call('POST', '/jobs', { body: { entrypoint: 'greet', payload: { name: 'Ada' }, dedupeKey: 'welcome-ada' } })
    expect(again.status).toBe(409)
    expect(again.json).toMatchObject({ error: 'duplicate_job', dedupeKeys: ['welcome-ada'] })
    expect(again.json.message).toContain('welcome-ada')
    // The message names the HTTP field that does what it says, and that field does it.
    expect(again.json.message).toContain('"dedupe": { "key": ..., "mode": "skip" }')
    const skipped = await call('POST', '/jobs', { body: { entrypoint: 'greet', payload: { name: 'Ada' }, dedupe: { key: 'welcome-ada', mode: 'skip' } } })
    expect(skipped.json).toEqual({ id: null })
    const batch = await call('POST', '/jobs', {
      body: [
        { entrypoint: 'greet', payload: { name: 'Grace' } },
        { entrypoint: 'greet', payload: { name: 'Ada' }, dedupeKey: 'welcome-ada' },
      ],
    })
    expect(batch).toMatchObject({ status: 409, json: { dedupeKeys: ['welcome-ada'] } })
    expect(await sql('select count(*)::int as n from pgq.jobs')).toEqual([{ n: 1 }])
  })

  it('enqueues, drains, retries and keeps the last traceback', async () => {
    const { json } = await call('POST', '/jobs', {
      body: [
        { entrypoint: 'greet', payload: { name: 'Ada' }, priority: 5 },
        { entrypoint: 'flaky', payload: {} },
        { entrypoint: 'broken', payload: { file: 'report.csv' } },
      ],
    })
    const [greet, flaky, broken] = json.ids as [number, number, number]
    expect(await call('GET', `/jobs/${greet}`)).toMatchObject({ status: 200, json: { id: greet, entrypoint: 'greet', status: 'queued', attempts: 0, inQueue: true, traceback: null } })

    const first = await call('POST', '/drain', { body: { timeBudget: '10s' } })
    expect(first.status).toBe(200)
    // A drain also fires due schedules; the every-second `report` job may be among its claims.
    const reported = (drain: { schedules: unknown[] }) => drain.schedules.length
    expect(first.json).toMatchObject({ claimed: 3 + reported(first.json), succeeded: 1 + reported(first.json), retried: 2, failed: 0 })
    const retrying = await call('GET', `/jobs/${flaky}`)
    expect(retrying.json).toMatchObject({ status: 'queued', attempts: 1, traceback: { name: 'Error', message: 'upstream timed out (first attempt only)' } })

    // Past both backoffs (300 ms and 200 ms, with jitter): the second attempts run.
    await sleep(500)
    const second = await call('POST', '/drain', {})
    expect(second.json).toMatchObject({ claimed: 2 + reported(second.json), succeeded: 1 + reported(second.json), failed: 1, remaining: 0, stoppedBy: 'empty' })
    expect((await call('GET', `/jobs/${greet}`)).json).toMatchObject({ status: 'successful', attempts: 1, inQueue: false })
    expect((await call('GET', `/jobs/${flaky}`)).json).toMatchObject({ status: 'successful', attempts: 2 })
    const failed = await call('GET', `/jobs/${broken}`)
    expect(failed.json).toMatchObject({ entrypoint: 'broken', status: 'failed', attempts: 2, inQueue: true })
    expect(failed.json.traceback).toMatchObject({ name: 'TypeError', message: 'cannot parse report.csv', attempt: 2 })
    expect(failed.json.traceback.stack).toContain('cannot parse report.csv')

    expect(await call('GET', '/stats')).toMatchObject({ status: 200, json: { total: 1, entrypoints: { broken: { failed: 1 } } } })
    expect(await call('POST', '/jobs/requeue', { body: { entrypoints: ['broken'] } })).toMatchObject({ status: 200, json: { ids: [broken] } })
    expect((await call('GET', `/jobs/${broken}`)).json).toMatchObject({ status: 'queued' })
  })

  it('cancels a queued job once, and says why it cannot again', async () => {
    const { json } = await call('POST', '/jobs', { body: { entrypoint: 'slow', payload: { seconds: 60 }, runAt: new Date(Date.now() + 60_000).toISOString() } })
    expect(await call('POST', `/jobs/${json.id}/cancel`)).toMatchObject({ status: 200, json: { id: json.id, canceled: true, previousStatus: 'queued' } })
    expect(await call('POST', `/jobs/${json.id}/cancel`)).toMatchObject({ status: 409, json: { error: 'not_cancelable', status: 'canceled' } })
    expect(await call('GET', `/jobs/${json.id}`)).toMatchObject({ json: { status: 'canceled', inQueue: false } })
    expect(await call('POST', '/jobs/987654/cancel')).toMatchObject({ status: 404, json: { error: 'not_found' } })
    expect(await call('GET', '/jobs/987654')).toMatchObject({ status: 404 })
  })
})

describe('scheduled()', () => {
  it('fires due schedules, drains, and ends its connections in waitUntil', async () => {
    const { json } = await call('POST', '/jobs', { body: { entrypoint: 'greet', payload: { name: 'cron' } } })
    const run = async () => {
      const ctx = createExecutionContext()
      await worker.scheduled(createScheduledController({ cron: '* * * * *', scheduledTime: Date.now() }), env, ctx)
      await waitOnExecutionContext(ctx)
    }
    await run() // stores the schedule (its first tick is the next second) and drains the greet job
    expect((await call('GET', `/jobs/${json.id}`)).json).toMatchObject({ status: 'successful' })
    const nextRun = async () => (await sql<{ at: string }>(`select next_run::text as at from pgq.schedules where entrypoint = 'report'`))[0]!.at
    const reports = () => sql<{ status: string }>(`select status::text from pgq.log where entrypoint = 'report'`)
    const before = await nextRun()
    const reportsBefore = (await reports()).length
    await sleep(1100)
    await run() // the `report` tick is due: enqueued and run in the same invocation
    // Missed ticks fire once: one more report job, and it ran.
    const after = await reports()
    expect(after).toHaveLength(reportsBefore + 1)
    expect(after.every((r) => r.status === 'successful')).toBe(true)
    expect(await nextRun()).not.toBe(before) // the tick moved next_run on

    // The Pool was ended in waitUntil: no session from the Worker stays open (the flow test's
    // Node worker, started by the global setup, keeps its own).
    const others = () =>
      sql<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity
         where datname = current_database() and pid <> pg_backend_pid() and application_name <> 'pgq-flow-vm-worker'`,
      )
    for (let i = 0; i < 20 && (await others())[0]!.n > 0; i++) await sleep(100)
    expect(await others()).toEqual([{ n: 0 }])
  })
})
