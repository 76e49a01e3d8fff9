// A typed consumer of every public entry, compiled by the installed tsc under strict settings
// (exactOptionalPropertyTypes, noUncheckedIndexedAccess, skipLibCheck off): pgq's .d.ts files
// and everything they pull in must type-check as a user's project sees them.
import { Pool } from '@neondatabase/serverless'
import {
  createQueue,
  type DrainSummary,
  type Job,
  type JobId,
  MissingDependencyError,
  migrate,
  nodePostgresDriver,
  type RunSummary,
  stopOnSignals,
  verifySchema,
  withPgClient,
} from '@pgq/core'
import { createProducer, type EntrypointPolicy, type PgqDriver, PgqError, type Queue } from '@pgq/core/edge'
import { neonServerlessDriver } from '@pgq/core/neon-serverless'
import { createQueueApi, type QueueScope, tick } from '@pgq/hono'
import { scheduledHandler } from '@pgq/hono/workers'

interface Email {
  to: string
  subject: string
}

export function defineQueue(driver: PgqDriver) {
  return createQueue({ driver })
    .entrypoint('send_email', async (job: Job<Email>) => {
      job.payload.subject.toUpperCase()
    })
    .entrypoint('resize', { maxAttempts: 3, backoff: { base: 100, max: '1m' }, leaseTimeout: '5m' }, async (job: Job<{ width: number }>, { signal }) => {
      if (signal.aborted) return
      job.payload.width.toFixed()
    })
    // Each tick enqueues a send_email job with this (typed) payload.
    .schedule('send_email', '0 9 * * *', { timezone: 'Europe/Berlin', payload: { to: 'team@example.com', subject: 'daily' } })
}

export async function onNode(url: string): Promise<DrainSummary> {
  await withPgClient(url, async (client) => {
    await migrate(client, { schema: 'pgq' })
    const result = await verifySchema(client)
    if (!result.ok) throw new Error(result.missing.join(', '))
  })
  const driver = nodePostgresDriver({ connectionString: url, max: 4 })
  const queue = defineQueue(driver)
  const id: JobId = await queue.enqueue('send_email', { to: 'a@example.com', subject: 'hi' }, { priority: 1 })
  const skipped: JobId | null = await queue.enqueue('resize', { width: 3 }, { dedupeKey: `r-${id}`, onConflict: 'skip' })
  const ids: JobId[] = await queue.enqueueMany([
    { entrypoint: 'send_email', payload: { to: 'b@example.com', subject: 'yo' } },
    { entrypoint: 'resize', payload: { width: 4 }, runAt: new Date() },
    { entrypoint: 'resize', payload: { width: 5 }, delay: '5m' },
  ])
  const first: JobId | undefined = ids[0] // noUncheckedIndexedAccess
  if (first !== undefined && skipped !== null) await queue.waitFor([first, skipped], { timeout: '1s' })
  const requeued: JobId[] = await queue.requeue({ entrypoints: ['resize'] })
  await queue.requeue(requeued)
  const worker = queue.start({ batchSize: 20, pollInterval: '500ms', shutdownTimeout: 5000, listener: { healthCheckInterval: '30s' } })
  const unhook: () => void = stopOnSignals(worker)
  unhook()
  const stopped: RunSummary = await worker.stop({ force: false })
  stopped.succeeded.toFixed()
  return queue.drain({ timeBudget: 1000, maintenance: false })
}

export function onEdge(env: { DATABASE_URL: string; PGQ_TOKEN: string }) {
  const queueFor = (bindings: typeof env): QueueScope<Queue> => {
    const pool = new Pool({ connectionString: bindings.DATABASE_URL })
    const driver = neonServerlessDriver({ pool })
    return { queue: createQueue({ driver }), end: () => pool.end() }
  }
  const app = createQueueApi<typeof env>({ queueFor, tokenFrom: (bindings) => bindings.PGQ_TOKEN, maxDrain: '10s' })
  app.get('/mine', (c) => c.text('mine'))
  const producer = createProducer({ driver: neonServerlessDriver({ connectionString: env.DATABASE_URL }), waitPollInterval: '2s' })
  return {
    fetch: app.fetch,
    scheduled: scheduledHandler<typeof env>({ queueFor, timeBudget: 5000 }),
    producer,
    tick: (queue: Queue) => tick(queue, { timeBudget: '1s' }),
  }
}

export function describe(error: unknown): string {
  if (error instanceof MissingDependencyError) return `install ${error.packageName}`
  if (error instanceof PgqError) return error.code
  return String(error)
}

// The fleet's control, as the CLI and dashboards use it: on any producer (or queue).
export async function pauseAll(driver: PgqDriver, names: readonly string[]): Promise<EntrypointPolicy[]> {
  const producer = createProducer({ driver })
  return Promise.all(names.map((name) => producer.pause(name)))
}
