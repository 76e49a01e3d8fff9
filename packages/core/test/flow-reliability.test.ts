// A flow survives a SIGKILLed worker and a PostgreSQL restart mid-flow (issue 15). A seeded
// DAG (support/seeded-dag.ts), enqueued with one flow() call, runs on 3 worker processes
// (fixtures/flow-step-worker.ts, which record each run with the database clock) against a
// throwaway cluster. While steps run, one worker is SIGKILLed (a replacement starts), then
// the cluster is stopped (fast), left down longer than the lease and started again. Each
// step must succeed exactly once, and no run of a step may start before the successful run
// of every step it waits for ended.
// Rerun another DAG with PGQ_FLOW_SEED=<n>.
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { type EmbeddedPostgres, startEmbeddedPostgres } from '@pgq/embedded'
import pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'
import { nodePostgresDriver } from '../src/driver/node-postgres/index.js'
import { withPgClient } from '../src/driver/node-postgres/with-client.js'
import { migrate } from '../src/migrations/migrator.js'
import { createProducer } from '../src/runtime/producer.js'
import type { FlowStepWorkerConfig } from './fixtures/flow-step-worker.js'
import { sleep } from './support/runtime.js'
import { longestPath, seededDag } from './support/seeded-dag.js'
import { exitWithin, isAlive, killAll, spawnWorkerProcess, waitUntil, type WorkerProcess } from './support/worker-processes.js'

const FIXTURE = fileURLToPath(new URL('./fixtures/flow-step-worker.ts', import.meta.url))
const SEED = Number(process.env.PGQ_FLOW_SEED ?? 15)
const RUNS_TABLE = `
  create table test_flow_runs (
    run_id uuid primary key,
    job_id bigint not null,
    step text not null,
    attempt integer not null,
    worker_id uuid not null,
    ms integer not null,
    start_retries integer not null,
    started_at timestamptz not null default clock_timestamp(),
    finished_at timestamptz
  )`
/**
 * How long the server stays down: longer than the lease (1 s), so the jobs running across the
 * restart are stale when it is back, and rescue races their owners, still alive, to them.
 */
const OUTAGE_MS = 1500
const us = (column: string) => `(extract(epoch from ${column}) * 1000000)::bigint::text`
/**
 * Runs of these workers that stay in their handler for 25 ms more at least, newest first: a
 * signal sent on reading one lands before its end is written.
 */
const IN_FLIGHT = `select job_id::text, worker_id::text, ${us('clock_timestamp()')} as now_us,
    (select count(*)::int from pgq.log where status = 'successful') as successful
  from test_flow_runs where finished_at is null and worker_id = any($1::uuid[])
    and started_at + (ms - 25) * interval '1 millisecond' > clock_timestamp()
  order by started_at desc`

interface InFlight {
  job_id: string
  worker_id: string
  now_us: string
  successful: number
}
interface Run {
  job_id: string
  step: string
  attempt: number
  worker_id: string
  start_retries: number
  started_us: string
  finished_us: string | null
}

const children = new Set<WorkerProcess>()
const cleanups: (() => Promise<unknown>)[] = []

describe('a flow across worker processes, a SIGKILL and a PostgreSQL restart', () => {
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') for (const w of children) console.error(`worker ${w.pid}:\n${w.output()}`)
    await killAll(children)
    for (const c of cleanups.splice(0).reverse()) await c().catch((e: unknown) => console.error('cleanup failed:', e))
  })

  it('runs every step at least once, succeeds each once, and starts none before the steps it waits for succeeded', { timeout: 90_000 }, async () => {
    const tBegin = performance.now()
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgq-flow-reliability-'))
    cleanups.push(() => fs.rm(dataDir, { recursive: true, force: true }))
    let server: EmbeddedPostgres = await startEmbeddedPostgres({ dataDir, fast: true })
    cleanups.push(() => server.stop()) // whichever server is current by then
    await withPgClient(server.url, async (c) => {
      await migrate(c, { schema: 'pgq' })
      await c.query(RUNS_TABLE)
    })
    const admin = new pg.Pool({ connectionString: server.url, max: 2 })
    admin.on('error', () => undefined) // the server goes away on purpose
    cleanups.push(() => admin.end())
    const sql = async <T>(text: string, params?: unknown[]) => (await admin.query(text, params)).rows as T[]
    /** Its rows, or undefined while the server does not answer. */
    const whileUp = <T>(text: string, params?: unknown[]) => sql<T>(text, params).catch(() => undefined)

    // Registered before the flow is enqueued, so its steps store maxAttempts: a rescue spends one.
    const config: FlowStepWorkerConfig = {
      databaseUrl: server.url,
      entrypoint: 'step',
      leaseTimeout: '1s',
      maxAttempts: 10,
      heartbeatInterval: 250,
      pollInterval: 200,
      listenerHealthCheck: 500,
      parentPid: process.pid,
    }
    const byWorkerId = new Map<string, WorkerProcess>()
    const startWorker = async () => {
      const w = spawnWorkerProcess(FIXTURE, config, children)
      byWorkerId.set(await w.ready, w)
    }
    await Promise.all([startWorker(), startWorker(), startWorker()])
    const liveIds = () => [...byWorkerId].filter(([, w]) => isAlive(w)).map(([id]) => id)
    const inFlight = () => whileUp<InFlight>(IN_FLIGHT, [liveIds()])

    const dag = seededDag(SEED)
    const driver = nodePostgresDriver({ connectionString: server.url, max: 2 })
    const t0 = performance.now()
    const ids = await createProducer({ driver, schema: 'pgq' }).flow(
      dag.map((s) => ({ key: s.key, entrypoint: 'step', payload: { key: s.key, ms: s.ms }, after: s.after })),
    )
    await driver.end()

    // SIGKILL a worker in the middle of a step (its replacement starts after the restart below).
    const [killed] = (await waitUntil('a step in flight after 3 successes', inFlight, (rows) => (rows?.[0]?.successful ?? 0) >= 3, 30_000))!
    const victim = byWorkerId.get(killed!.worker_id)!
    victim.child.kill('SIGKILL')
    const tKill = performance.now()
    expect(await exitWithin(victim, 5000)).toMatchObject({ signal: 'SIGKILL' })

    // Restart the server in the middle of a step, with 5 steps or more still to succeed.
    const [interrupted] = (await waitUntil('a step in flight, 5 steps or more to go', inFlight, (rows) => rows?.[0] !== undefined && rows[0].successful <= dag.length - 5, 30_000))!
    const tStop = performance.now()
    await server.stop()
    await sleep(OUTAGE_MS) // the outage itself, not a wait for something
    const tStart = performance.now()
    server = await startEmbeddedPostgres({ dataDir, port: server.port, fast: true })
    const tUp = performance.now()
    // Started only now: a process start (1-2 s under tsx) before the restart was long enough
    // for the rest of the flow to finish, leaving no step in flight to interrupt.
    await startWorker()

    const ended = `select count(*) filter (where status = 'successful')::int as successful, count(*) filter (where status not in ('successful', 'queued'))::int as bad from pgq.log`
    const final = await waitUntil('every step to succeed (or one to end otherwise)', () => whileUp<{ successful: number; bad: number }>(ended), (r) => r !== undefined && (r[0]!.successful >= dag.length || r[0]!.bad > 0), 60_000)
    const tDone = performance.now()
    expect(final![0]).toEqual({ successful: dag.length, bad: 0 })

    const log = await sql<{ id: string; job_id: string; status: string; attempts: string; created_us: string }>(
      `select id::text, job_id::text, status::text, attempts::text, ${us('created')} as created_us from pgq.log order by id`,
    )
    const runs = await sql<Run>(
      `select job_id::text, step, attempt, worker_id::text, start_retries, ${us('started_at')} as started_us, ${us('finished_at')} as finished_us
       from test_flow_runs order by started_at`,
    )
    // Each step once in the log, successful, and nothing else there (no retry, hold or failure).
    expect(log.map((r) => r.status)).toEqual(dag.map(() => 'successful'))
    expect(log.map((r) => Number(r.job_id)).sort((a, b) => a - b)).toEqual(Object.values(ids).sort((a, b) => a - b))
    expect(await sql('select (select count(*)::int from pgq.jobs) as jobs, (select count(*)::int from pgq.job_dependencies) as dependencies')).toEqual([{ jobs: 0, dependencies: 0 }])

    const success = new Map(log.map((r) => [r.job_id, r]))
    const runsOf = (key: string) => runs.filter((r) => r.job_id === String(ids[key]))
    /** The run that succeeded: the attempt its log row names. */
    const successfulRun = (key: string) => runsOf(key).find((r) => r.attempt === Number(success.get(String(ids[key]))!.attempts))
    const violations: string[] = []
    for (const step of dag) {
      const own = successfulRun(step.key)
      if (!own?.finished_us) violations.push(`${step.key} (job ${ids[step.key]}): no finished run of the attempt that succeeded`)
      for (const parent of step.after) {
        const parentRun = successfulRun(parent)
        const parentLog = success.get(String(ids[parent]))!
        if (BigInt(parentLog.id) >= BigInt(success.get(String(ids[step.key]))!.id)) {
          violations.push(`${step.key} (job ${ids[step.key]}) logged successful (log ${success.get(String(ids[step.key]))!.id}) before ${parent} (log ${parentLog.id})`)
        }
        for (const run of runsOf(step.key)) {
          if (!parentRun?.finished_us || BigInt(run.started_us) <= BigInt(parentRun.finished_us)) {
            violations.push(`${step.key} (job ${ids[step.key]}) attempt ${run.attempt} started at ${run.started_us} µs, before ${parent} (job ${ids[parent]}) ended at ${parentRun?.finished_us} µs`)
          }
        }
      }
    }
    expect(violations).toEqual([])

    // The faults hit running steps: the killed worker's step succeeded on another worker,
    // and the step in flight at the stop succeeded after it.
    const killedSuccess = runs.find((r) => r.job_id === killed!.job_id && r.attempt === Number(success.get(killed!.job_id)!.attempts))
    expect(killedSuccess?.worker_id).not.toBe(killed!.worker_id)
    expect(BigInt(success.get(interrupted!.job_id)!.created_us)).toBeGreaterThan(BigInt(interrupted!.now_us))
    // The survivors and the replacement all lived through the restart.
    expect(liveIds()).toHaveLength(3)

    const reruns = dag.filter((s) => runsOf(s.key).length > 1).length
    // Runs that ended but were not the attempt that succeeded: rescued from an owner still alive.
    const superseded = runs.filter((r) => r.finished_us && r.attempt !== Number(success.get(r.job_id)!.attempts)).length
    const errors = new Map<string, number>()
    for (const w of children) for (const [, during] of w.output().matchAll(/worker:error during (\w+)/g)) errors.set(during!, (errors.get(during!) ?? 0) + 1)
    console.log(
      `[flow reliability] seed ${SEED}: ${dag.length} steps, ${dag.reduce((n, s) => n + s.after.length, 0)} edges, longest path ${longestPath(dag)}; ` +
        `all successful ${(tDone - t0).toFixed(0)} ms after the flow() call (kill at ${(tKill - t0).toFixed(0)} ms with ${killed!.successful} done, ` +
        `stop at ${(tStop - t0).toFixed(0)} ms with ${interrupted!.successful} done, down ${(tStart - tStop).toFixed(0)} ms, start ${(tUp - tStart).toFixed(0)} ms, ` +
        `done ${(tDone - tUp).toFixed(0)} ms after it); ${runs.length} runs, ${reruns} steps run more than once, ${superseded} finished runs superseded, ` +
        `${runs.filter((r) => r.start_retries > 0).length} starts recorded late; worker errors ${JSON.stringify(Object.fromEntries(errors))}; test ${(performance.now() - tBegin).toFixed(0)} ms`,
    )
  })
})
