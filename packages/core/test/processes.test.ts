// Real worker processes (test/fixtures/worker-process.ts) against one fresh database per test:
// the global concurrency limit, SIGKILL and stale rescue, exactly-once completion under load,
// and SIGTERM (graceful, then forced). The handlers record each invocation in the database.
import { fileURLToPath } from 'node:url'
import type pg from 'pg'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { PgqDriver } from '../src/driver/driver.js'
import { nodePostgresDriver } from '../src/driver/node-postgres/index.js'
import { migrate } from '../src/migrations/migrator.js'
import { createProducer } from '../src/runtime/producer.js'
import type { WorkerProcessConfig } from './fixtures/worker-process.js'
import { createTestDatabase, pgPool, type TestDatabase } from './setup/database.js'
import { exitWithin, isAlive, killAll as killAllOf, spawnWorkerProcess, waitUntil, type WorkerProcess } from './support/worker-processes.js'

const FIXTURE = fileURLToPath(new URL('./fixtures/worker-process.ts', import.meta.url))
const ENTRYPOINT = 'work'

const OBSERVATION_TABLES = `
  create table test_observations (
    id bigserial primary key,
    job_id bigint not null,
    worker_id uuid not null,
    running_at_start integer not null,
    started_at timestamptz not null default clock_timestamp(),
    finished_at timestamptz
  );
  create table test_running (n integer not null);
  insert into test_running values (0);`

const children = new Set<WorkerProcess>()
let db: TestDatabase | undefined
let admin: pg.Pool | undefined
let driver: PgqDriver | undefined

function spawnWorker(config: Omit<WorkerProcessConfig, 'databaseUrl' | 'entrypoint' | 'parentPid'>): WorkerProcess {
  const full: WorkerProcessConfig = { databaseUrl: db!.url, entrypoint: ENTRYPOINT, parentPid: process.pid, ...config }
  return spawnWorkerProcess(FIXTURE, full, children)
}

const alive = isAlive
const killAll = () => killAllOf(children)

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]> {
  return (await admin!.query(text, params)).rows as T[]
}

async function scalar(text: string, params?: unknown[]): Promise<number> {
  const rows = await sql<{ v: string | number }>(text, params)
  return Number(rows[0]!.v)
}


async function enqueue(count: number): Promise<number[]> {
  const producer = createProducer({ driver: driver!, schema: 'pgq' })
  const ids: number[] = []
  for (let i = 0; i < count; i += 500) {
    const n = Math.min(500, count - i)
    ids.push(...(await producer.enqueueMany(Array.from({ length: n }, (_, k) => ({ entrypoint: ENTRYPOINT, payload: i + k })))))
  }
  return ids
}

const successful = () => scalar(`select count(*) as v from pgq.log where status = 'successful'`)

describe('worker processes', () => {
  beforeEach(async () => {
    db = await createTestDatabase('processes')
    admin = pgPool(db.url, { max: 2 })
    admin.on('error', () => undefined) // the database is dropped WITH (FORCE) at the end
    const client = await admin.connect()
    try {
      await migrate(client, { schema: 'pgq' })
      await client.query(OBSERVATION_TABLES)
    } finally {
      client.release()
    }
    driver = nodePostgresDriver({ connectionString: db.url, max: 2 })
  })

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') for (const w of children) console.error(`worker ${w.pid}:\n${w.output()}`)
    await killAll()
    await driver?.end()
    await admin?.end()
    await db?.drop()
    driver = admin = db = undefined
  })

  afterAll(killAll)

  it('8 processes never run more than concurrencyLimit 3 jobs at once, and run each once', { timeout: 60_000 }, async () => {
    const workers = Array.from({ length: 8 }, () =>
      spawnWorker({
        entrypointOptions: { concurrencyLimit: 3 },
        handler: { sleepMs: 30 },
        batchSize: 2,
        maxConcurrentTasks: 4,
        // Only the finishing worker is woken when a slot frees; the others find it by polling.
        pollInterval: 50,
      }),
    )
    await Promise.all(workers.map((w) => w.ready))
    const t0 = Date.now()
    const ids = await enqueue(60)
    await waitUntil('60 successful jobs', successful, (n) => n >= 60, 40_000)
    console.log(`[processes] 60 jobs under concurrencyLimit 3 in ${Date.now() - t0} ms`)

    const [obs] = await sql<{ rows: string; jobs: string; max: number; unfinished: string; workers: string }>(
      `select count(*) as rows, count(distinct job_id) as jobs, max(running_at_start) as max,
         count(*) filter (where finished_at is null) as unfinished, count(distinct worker_id) as workers
       from test_observations`,
    )
    expect(obs).toMatchObject({ rows: '60', jobs: '60', max: 3, unfinished: '0' })
    expect(Number(obs!.workers)).toBeGreaterThan(1)
    const log = await sql<{ job_id: string }>(`select job_id from pgq.log where status = 'successful' order by job_id`)
    expect(log.map((r) => Number(r.job_id))).toEqual([...ids].sort((a, b) => a - b))
    expect(await scalar('select count(*) as v from pgq.jobs')).toBe(0)

    // And they all stop cleanly.
    for (const w of workers) w.child.kill('SIGTERM')
    for (const w of workers) expect(await exitWithin(w, 10_000)).toMatchObject({ code: 0 })
    for (const w of workers) expect(w.output()).not.toContain('lingering')
  })

  it('6 processes, of which only one declares concurrencyLimit 2, never run more than 2 at once', { timeout: 60_000 }, async () => {
    const common = { handler: { sleepMs: 30 }, batchSize: 2, maxConcurrentTasks: 4, pollInterval: 50 }
    // The one that declares the limit registers first; the other five declare nothing.
    const declaring = spawnWorker({ ...common, entrypointOptions: { concurrencyLimit: 2 } })
    await declaring.ready
    const others = Array.from({ length: 5 }, () => spawnWorker(common))
    await Promise.all(others.map((w) => w.ready))
    await enqueue(40)
    await waitUntil('40 successful jobs', successful, (n) => n >= 40, 40_000)
    const [obs] = await sql<{ jobs: string; max: number; workers: string }>(
      `select count(distinct job_id) as jobs, max(running_at_start) as max, count(distinct worker_id) as workers from test_observations`,
    )
    expect(obs).toMatchObject({ jobs: '40', max: 2 })
    // Workers that declared nothing claimed too: they obeyed the stored limit, not a limit of their own.
    const undeclared = await scalar('select count(*) as v from test_observations where worker_id <> $1', [await declaring.ready])
    expect(undeclared).toBeGreaterThan(0)
    expect(await sql('select name, concurrency_limit from pgq.entrypoints')).toEqual([{ name: ENTRYPOINT, concurrency_limit: 2 }])
  })

  it('pause in one process stops claims in another; resume wakes it at once through NOTIFY', { timeout: 60_000 }, async () => {
    // The poll would take a minute: a quick start after resume can only be the event.
    const w = spawnWorker({ handler: { sleepMs: 0 }, pollInterval: 60_000 })
    await w.ready
    const control = createProducer({ driver: driver!, schema: 'pgq' })
    await control.pause(ENTRYPOINT)
    const ids = await enqueue(5)
    expect(ids).toHaveLength(5)
    // Its claims in the meantime (each enqueue's event wakes it) find nothing.
    await waitUntil('the insert events to reach the worker', () => scalar('select count(*) as v from pgq.jobs'), (n) => n === 5)
    await sleep(500)
    expect(await scalar('select count(*) as v from test_observations')).toBe(0)
    const resumedAt = Date.now()
    await control.resume(ENTRYPOINT)
    await waitUntil('5 successful jobs', successful, (n) => n === 5, 20_000)
    expect(Date.now() - resumedAt).toBeLessThan(20_000)
  })

  it('a job whose handler kills its process runs exactly maxAttempts times, then is held with a WorkerLost traceback', { timeout: 90_000 }, async () => {
    const BAD = 3
    const common = {
      // One job at a time per process: a crash takes down only the job that caused it.
      entrypointOptions: { leaseTimeout: '1s', maxAttempts: 3, workerConcurrency: 1 },
      handler: { sleepMs: 20, exitOnPayload: BAD },
      heartbeatInterval: 300,
      pollInterval: 100,
    }
    const ids = await (async () => {
      // Registered before enqueue, so the jobs store maxAttempts 3.
      await spawnWorker(common).ready
      return enqueue(10)
    })()
    const badId = ids[BAD]!
    // Each worker that picks the bad job dies; keep one running until the job is settled.
    const deadline = Date.now() + 60_000
    for (;;) {
      const [row] = await sql<{ status: string | null }>('select (select status::text from pgq.jobs where id = $1) as status', [badId])
      if (row?.status === 'failed' && (await successful()) === 9) break
      if (Date.now() > deadline) throw new Error(`the bad job did not settle: ${JSON.stringify(row)}`)
      if ([...children].filter(alive).length === 0) await spawnWorker(common).ready
      await sleep(100)
    }
    expect(await scalar('select count(*) as v from test_observations where job_id = $1', [badId])).toBe(3)
    expect(await sql('select attempts, rescues, max_attempts from pgq.jobs where id = $1', [badId])).toEqual([{ attempts: 3, rescues: 3, max_attempts: 3 }])
    const [last] = await sql<{ status: string; traceback: { name: string; message: string } }>(
      'select status::text, traceback from pgq.log where job_id = $1 order by id desc limit 1',
      [badId],
    )
    expect(last).toMatchObject({ status: 'failed', traceback: { name: 'WorkerLost', message: expect.stringMatching(/lost 3 time\(s\).*3 of 3 used/) } })
    // Every other job completed once.
    expect(await scalar(`select count(*) as v from pgq.log where status = 'successful'`)).toBe(9)
    // It is not run again.
    await sleep(1500)
    expect(await scalar('select count(*) as v from test_observations where job_id = $1', [badId])).toBe(3)
  })

  it('re-runs the jobs of a worker killed with SIGKILL after the lease timeout', { timeout: 60_000 }, async () => {
    const common = { entrypointOptions: { leaseTimeout: '1s', maxAttempts: 2 }, heartbeatInterval: 300, batchSize: 1, maxConcurrentTasks: 2, pollInterval: 100 }
    // A's jobs take long enough to be running when it dies; B's are quick.
    const a = spawnWorker({ ...common, handler: { sleepMs: 10_000 } })
    const aId = await a.ready
    const ids = await enqueue(6)
    await waitUntil('A to start a job', () => scalar('select count(*) as v from test_observations where worker_id = $1', [aId]), (n) => n >= 1)
    const b = spawnWorker({ ...common, handler: { sleepMs: 200 } })
    const bId = await b.ready

    a.child.kill('SIGKILL')
    expect(await exitWithin(a, 5000)).toMatchObject({ signal: 'SIGKILL' })
    const killedAt = await scalar(`select extract(epoch from clock_timestamp()) * 1000 as v`)
    await waitUntil('6 successful jobs', successful, (n) => n >= 6, 30_000)

    const killed = (await sql<{ job_id: string }>('select job_id from test_observations where worker_id = $1', [aId])).map((r) => Number(r.job_id))
    expect(killed.length).toBeGreaterThanOrEqual(1)
    const log = await sql<{ job_id: string; attempts: string }>(`select job_id, attempts from pgq.log where status = 'successful' order by job_id`)
    expect(log.map((r) => Number(r.job_id))).toEqual(ids)
    for (const r of log) expect(Number(r.attempts)).toBe(killed.includes(Number(r.job_id)) ? 2 : 1)
    expect(await scalar('select count(*) as v from pgq.jobs')).toBe(0)

    const obs = await sql<{ job_id: string; worker_id: string; finished: boolean; started_ms: number }>(
      `select job_id, worker_id, finished_at is not null as finished, extract(epoch from started_at) * 1000 as started_ms
       from test_observations order by id`,
    )
    for (const id of ids) {
      const runs = obs.filter((o) => Number(o.job_id) === id)
      if (killed.includes(id)) {
        // A's run never finished; B's rescue ran it again, after A's heartbeat went stale.
        expect(runs.map((o) => [o.worker_id, o.finished])).toEqual([
          [aId, false],
          [bId, true],
        ])
        expect(Number(runs[1]!.started_ms) - killedAt).toBeGreaterThan(500)
      } else {
        expect(runs.map((o) => [o.worker_id, o.finished])).toEqual([[bId, true]])
      }
    }
  })

  it('2,000 jobs across 4 processes all complete exactly once', { timeout: 90_000 }, async () => {
    const workers = Array.from({ length: 4 }, () => spawnWorker({ batchSize: 10, maxConcurrentTasks: 20, poolMax: 4 }))
    const workerIds = await Promise.all(workers.map((w) => w.ready))
    const t0 = Date.now()
    await enqueue(2000)
    await waitUntil('2000 successful jobs', successful, (n) => n >= 2000, 60_000)
    const elapsed = Date.now() - t0

    const [obs] = await sql<{ rows: string; jobs: string; unfinished: string }>(
      `select count(*) as rows, count(distinct job_id) as jobs, count(*) filter (where finished_at is null) as unfinished
       from test_observations`,
    )
    expect(obs).toEqual({ rows: '2000', jobs: '2000', unfinished: '0' })
    const [log] = await sql<{ rows: string; jobs: string; once: boolean }>(
      `select count(*) as rows, count(distinct job_id) as jobs, bool_and(attempts = 1) as once from pgq.log where status = 'successful'`,
    )
    expect(log).toEqual({ rows: '2000', jobs: '2000', once: true })
    expect(await scalar('select count(*) as v from pgq.log')).toBe(2000)
    expect(await scalar('select count(*) as v from pgq.jobs')).toBe(0)
    const perWorker = await sql<{ worker_id: string; n: string }>('select worker_id, count(*) as n from test_observations group by worker_id')
    expect(perWorker.every((r) => workerIds.includes(r.worker_id))).toBe(true)
    console.log(`[processes] 2000 jobs in ${elapsed} ms; per worker: ${perWorker.map((r) => r.n).join(', ')}`)
  })

  it('SIGTERM finishes the running job and exits 0; a second SIGTERM abandons a hanging job', { timeout: 60_000 }, async () => {
    // concurrencyLimit 1: one job runs, the others stay queued.
    const common = { entrypointOptions: { concurrencyLimit: 1 }, batchSize: 1, maxConcurrentTasks: 2, pollInterval: 100 }
    const graceful = spawnWorker({ ...common, handler: { sleepMs: 1000 } })
    const gracefulId = await graceful.ready
    const ids = await enqueue(3)
    const [running] = await waitUntil(
      'the first job to start',
      () => sql<{ job_id: string }>('select job_id from test_observations'),
      (rows) => rows.length >= 1,
    )
    const termAt = Date.now()
    graceful.child.kill('SIGTERM')
    const exit = await exitWithin(graceful, 5000)
    expect(exit).toMatchObject({ code: 0, signal: null })
    expect(exit.at - termAt).toBeLessThan(4000)
    expect(graceful.output()).not.toContain('lingering')

    const runningId = Number(running!.job_id)
    expect(await sql('select job_id, worker_id, finished_at is not null as finished from test_observations')).toEqual([
      { job_id: String(runningId), worker_id: gracefulId, finished: true },
    ])
    expect(await sql(`select job_id, status, attempts from pgq.log where status <> 'queued'`)).toEqual([
      { job_id: String(runningId), status: 'successful', attempts: '1' },
    ])
    const left = ids.filter((id) => id !== runningId)
    expect(await sql('select id, status, attempts from pgq.jobs order by id')).toEqual(left.map((id) => ({ id: String(id), status: 'queued', attempts: 0 })))

    // Two SIGTERMs: the first waits for the job, the second abandons it.
    const forced = spawnWorker({ ...common, handler: { hang: true } })
    const forcedId = await forced.ready
    const [hung] = await waitUntil(
      'the hanging job to start',
      () => sql<{ job_id: string }>('select job_id from test_observations where worker_id = $1', [forcedId]),
      (rows) => rows.length >= 1,
    )
    const firstAt = Date.now()
    forced.child.kill('SIGTERM')
    await sleep(150)
    forced.child.kill('SIGTERM')
    const forcedExit = await exitWithin(forced, 5000)
    expect(forcedExit).toMatchObject({ code: 0, signal: null })
    expect(forcedExit.at - firstAt).toBeLessThan(4000)

    const hungId = Number(hung!.job_id)
    expect(await sql('select id, status, worker_id, attempts from pgq.jobs order by id')).toEqual(
      left.map((id) =>
        id === hungId
          ? { id: String(id), status: 'picked', worker_id: forcedId, attempts: 1 }
          : { id: String(id), status: 'queued', worker_id: null, attempts: 0 },
      ),
    )
    expect(await scalar('select count(*) as v from pgq.log where job_id = $1 and status <> $2', [hungId, 'queued'])).toBe(0)
  })
})
