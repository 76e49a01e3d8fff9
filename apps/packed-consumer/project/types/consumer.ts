// A typed consumer of every public entry, compiled by the installed tsc under strict settings
// (exactOptionalPropertyTypes, noUncheckedIndexedAccess, skipLibCheck off): pgq's .d.ts files
// and everything they pull in must type-check as a user's project sees them.
import { Pool } from '@neondatabase/serverless'
import {
  createQueue,
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
import { createFleet, createProducer, type EntrypointPolicy, type PgqDriver, PgqError, type Queue } from '@pgq/core/edge'
import { neonServerlessDriver } from '@pgq/core/neon-serverless'
import { createWorkerApp, type QueueScope, tick } from '@pgq/hono'
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
    .entrypoint('resize', { maxAttempts: 3, backoff: { baseMs: 100 } }, async (job: Job<{ width: number }>, { signal }) => {
      if (signal.aborted) return
      job.payload.width.toFixed()
    })
}

export async function onNode(url: string): Promise<RunSummary> {
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
    { entrypoint: 'resize', payload: { width: 4 }, executeAfter: new Date() },
  ])
  const first: JobId | undefined = ids[0] // noUncheckedIndexedAccess
  if (first !== undefined && skipped !== null) await queue.waitFor([first, skipped], { timeoutMs: 1000 })
  const worker = queue.start({ batchSize: 20 })
  const unhook: () => void = stopOnSignals(worker)
  unhook()
  await worker.stop({ force: false })
  return queue.run({ mode: 'drain', timeBudgetMs: 1000 })
}

export function onEdge(env: { DATABASE_URL: string; PGQ_TOKEN: string }) {
  const queueFor = (bindings: typeof env): QueueScope<Queue> => {
    const pool = new Pool({ connectionString: bindings.DATABASE_URL })
    const driver = neonServerlessDriver({ pool })
    return { queue: createQueue({ driver }), end: () => pool.end() }
  }
  const app = createWorkerApp<typeof env>({ queueFor, tokenFrom: (bindings) => bindings.PGQ_TOKEN, maxDrainMs: 10_000 })
  app.get('/mine', (c) => c.text('mine'))
  const producer = createProducer({ db: neonServerlessDriver({ connectionString: env.DATABASE_URL }).db })
  return {
    fetch: app.fetch,
    scheduled: scheduledHandler<typeof env>({ queueFor, timeBudgetMs: 5000 }),
    producer,
    tick: (queue: Queue) => tick(queue, { timeBudgetMs: 1000 }),
  }
}

export function describe(error: unknown): string {
  if (error instanceof MissingDependencyError) return `install ${error.packageName}`
  if (error instanceof PgqError) return error.code
  return String(error)
}

// The fleet's control, as the CLI and dashboards use it.
export async function pauseAll(driver: PgqDriver, names: readonly string[]): Promise<EntrypointPolicy[]> {
  const fleet = createFleet({ db: driver.db })
  return Promise.all(names.map((name) => fleet.pause(name)))
}
