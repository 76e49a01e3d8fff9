// BullMQ's client side, on Redis or on its PostgreSQL backend (the target URL's scheme picks
// it): migrations for PostgreSQL (its docs: run them explicitly once), Queue.add/addBulk,
// and the job counts left after a drain. Shared with workers/bullmq-worker.mjs.
import { createPostgresBackend, Queue, runMigrations } from 'bullmq'
import pg from 'pg'

export const QUEUE = 'bench'

const isPostgres = (url) => /^postgres(ql)?:/.test(url)

/**
 * Constructor arguments after the name (and processor) for `url`: [options, backend?].
 * Redis: host and port, maxRetriesPerRequest null (what BullMQ requires for workers).
 * PostgreSQL: a pool of `poolMax` (its docs: as many connections as the concurrency).
 */
export function connectionArgs(url, options = {}, poolMax = 1) {
  if (isPostgres(url)) return [{ ...options, connection: { connectionString: url, max: poolMax } }, createPostgresBackend]
  const u = new URL(url)
  return [{ ...options, connection: { host: u.hostname, port: Number(u.port), maxRetriesPerRequest: null } }]
}

export async function install(url) {
  if (!isPostgres(url)) return // the parent FLUSHALLs its own redis-server before each run
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await runMigrations(client)
  } finally {
    await client.end()
  }
}

export async function open(url) {
  const queue = new Queue(QUEUE, ...connectionArgs(url))
  queue.on('error', () => undefined)
  await queue.waitUntilReady()
  return {
    enqueueOne: (payload) => queue.add('noop', payload),
    enqueueBatch: (payloads) => queue.addBulk(payloads.map((data) => ({ name: 'noop', data }))),
    close: () => queue.close(),
  }
}

/** Jobs not finished yet (0 after a full drain). */
export async function pending(url) {
  const queue = new Queue(QUEUE, ...connectionArgs(url))
  queue.on('error', () => undefined)
  try {
    const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'paused', 'waiting-children')
    return Object.values(counts).reduce((a, b) => a + b, 0)
  } finally {
    await queue.close()
  }
}
