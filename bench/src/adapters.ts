// The parent's side of each queue: install its schema, enqueue (one at a time and in
// batches), and name the worker script (plain node) that drains it. Workers live in src/workers.
import { fileURLToPath } from 'node:url'
import graphileWorker from 'graphile-worker'
import pg from 'pg'
import PgBoss from 'pg-boss'
import { core } from './core.mjs'

export type QueueName = 'pgq' | 'graphile-worker' | 'pg-boss'
export const QUEUES: QueueName[] = ['pgq', 'graphile-worker', 'pg-boss']

/** Settings each queue runs with; printed with the results. */
export interface QueueSettings {
  /** flushDelay and pollInterval in milliseconds, as pgq's drain()/start() options of those names take them. */
  pgq: { batchSize: number; maxConcurrentTasks: number; flushDelay: number; poolMax: number; pollInterval: number; logSuccess: boolean }
  graphile: { concurrency: number; localQueueSize: number; completeJobBatchDelay: number; failJobBatchDelay: number; maxPoolSize: number }
  pgboss: { batchSize: number; loops: number; max: number; pollingIntervalSeconds: number }
}

export const DEFAULT_SETTINGS: QueueSettings = {
  // Tuned through pgq's public drain()/start() options (docs/benchmarks.md): batches of 1000-1500 drain
  // fastest here; pollInterval 20 because a drain worker that sees jobs another worker is
  // claiming right now waits one poll interval (default 1 s) before it looks again.
  // logSuccess false: no history of successful jobs, as graphile-worker keeps none; scenario
  // 1 also drains pgq with its default success log (the row 'pgq, success log on').
  pgq: { batchSize: 1000, maxConcurrentTasks: 2000, flushDelay: 0, poolMax: 10, pollInterval: 20, logSuccess: false },
  // The values graphile-worker's performance docs suggest for throughput (NOTES.md: 0.17.3).
  graphile: { concurrency: 24, localQueueSize: 500, completeJobBatchDelay: 0, failJobBatchDelay: 0, maxPoolSize: 26 },
  // pg-boss 10: batch fetch + batch complete (work() would sleep its polling interval between
  // batches), batches as large as the others' (batch 100: about 4× slower here, see the docs).
  pgboss: { batchSize: 500, loops: 2, max: 10, pollingIntervalSeconds: 0.5 },
}

/** One connection, kept open: what the enqueue and latency scenarios send through. */
export interface Producer {
  enqueueOne(payload: Record<string, unknown>): Promise<unknown>
  enqueueBatch(payloads: Record<string, unknown>[]): Promise<unknown>
  close(): Promise<void>
}

export interface Adapter {
  name: QueueName
  /** Database name suffix. */
  slug: string
  install(url: string): Promise<void>
  producer(url: string): Promise<Producer>
  /** Queued + running jobs left (0 after a full drain). */
  pending(url: string): Promise<number>
  /** The worker process's script, run by plain node. */
  workerScript: string
  version: string
}

const { createQueue, migrate, nodePostgresDriver, withPgClient } = core

/** SQL run in pgq's databases after the migrations (--pgq-setup-sql). */
let pgqSetupSql: string | undefined
export const setPgqSetupSql = (sql: string | undefined) => {
  pgqSetupSql = sql
}

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url))
const silentGraphileLogger = new graphileWorker.Logger(() => () => undefined)

const count = (url: string, sql: string): Promise<number> => withPgClient(url, async (c) => Number((await c.query(sql)).rows[0]?.n))

const pgqAdapter: Adapter = {
  name: 'pgq',
  slug: 'pgq',
  version: 'workspace',
  workerScript: here('./workers/pgq-worker.mjs'),
  install: (url) =>
    withPgClient(url, async (c) => {
      await migrate(c)
      if (pgqSetupSql) await c.query(pgqSetupSql)
    }),
  async producer(url) {
    const driver = nodePostgresDriver({ connectionString: url, max: 1 })
    const queue = createQueue({ driver })
    // The schema check happens once per producer; do it before anything is timed.
    await queue.queueSize()
    return {
      enqueueOne: (payload) => queue.enqueue('noop', payload),
      enqueueBatch: (payloads) => queue.enqueueMany(payloads.map((payload) => ({ entrypoint: 'noop', payload }))),
      close: () => driver.end(),
    }
  },
  pending: (url) => count(url, 'select count(*) as n from pgq.jobs'),
}

const graphileAdapter: Adapter = {
  name: 'graphile-worker',
  slug: 'graphile',
  version: '0.17.3',
  workerScript: here('./workers/graphile-worker.mjs'),
  async install(url) {
    await graphileWorker.runMigrations({ connectionString: url, logger: silentGraphileLogger })
  },
  async producer(url) {
    const pool = new pg.Pool({ connectionString: url, max: 1 })
    pool.on('error', () => undefined)
    pool.on('connect', (client) => client.on('error', () => undefined))
    const utils = await graphileWorker.makeWorkerUtils({ pgPool: pool, logger: silentGraphileLogger })
    await utils.migrate()
    return {
      enqueueOne: (payload) => utils.addJob('noop', payload),
      enqueueBatch: (payloads) => utils.addJobs(payloads.map((payload) => ({ identifier: 'noop', payload }))),
      async close() {
        await utils.release()
        await pool.end()
      },
    }
  },
  pending: (url) => count(url, 'select count(*) as n from graphile_worker._private_jobs'),
}

const pgBossAdapter: Adapter = {
  name: 'pg-boss',
  slug: 'pgboss',
  version: '10.4.2',
  workerScript: here('./workers/pgboss-worker.mjs'),
  async install(url) {
    const boss = new PgBoss({ connectionString: url, max: 1, supervise: false, schedule: false })
    boss.on('error', () => undefined)
    await boss.start()
    await boss.createQueue('noop')
    await boss.stop({ graceful: false, wait: true })
  },
  async producer(url) {
    const boss = new PgBoss({ connectionString: url, max: 1, supervise: false, schedule: false, migrate: false })
    boss.on('error', () => undefined)
    await boss.start()
    return {
      enqueueOne: (payload) => boss.send('noop', payload),
      enqueueBatch: (payloads) => boss.insert(payloads.map((data) => ({ name: 'noop', data }))),
      close: () => boss.stop({ graceful: false, wait: true }),
    }
  },
  pending: (url) => count(url, "select count(*) as n from pgboss.job where state < 'completed'"),
}

export const ADAPTERS: Record<QueueName, Adapter> = {
  pgq: pgqAdapter,
  'graphile-worker': graphileAdapter,
  'pg-boss': pgBossAdapter,
}

/** Enqueues n no-op jobs in batches of `batch` on one connection; returns jobs/s. */
export async function prefill(adapter: Adapter, url: string, n: number, batch = 1000): Promise<number> {
  const producer = await adapter.producer(url)
  try {
    const t0 = performance.now()
    for (let done = 0; done < n; done += batch) {
      const size = Math.min(batch, n - done)
      await producer.enqueueBatch(Array.from({ length: size }, () => ({})))
    }
    return n / ((performance.now() - t0) / 1000)
  } finally {
    await producer.close()
  }
}
