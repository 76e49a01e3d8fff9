// `npm start`: pgq end to end on a throwaway PostgreSQL (or DATABASE_URL): install the
// schema, run a worker, enqueue jobs that succeed, retry, fail and get canceled.
import pg from 'pg'
import { startEmbeddedPostgres } from '@pgq/embedded'
import { createQueue, DuplicateJobError, migrate, nodePostgresDriver, stopOnSignals } from '../src/index.js'
import type { Job } from '../src/types.js'

const log = (...parts: unknown[]) => console.log(`[${new Date().toISOString().slice(11, 23)}]`, ...parts)
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer)
        reject(signal.reason)
      },
      { once: true },
    )
  })

async function main() {
  const embedded = process.env.DATABASE_URL ? undefined : await startEmbeddedPostgres()
  const url = process.env.DATABASE_URL ?? embedded!.url
  log(embedded ? `embedded PostgreSQL started in ${embedded.timings.totalMs} ms at ${url}` : `using DATABASE_URL`)

  const client = new pg.Client(url)
  await client.connect()
  const installed = await migrate(client)
  await client.end()
  log(`schema "pgq": applied ${installed.applied.length ? installed.applied.join(', ') : 'nothing (up to date)'}`)

  const driver = nodePostgresDriver({ connectionString: url })
  let flakyRuns = 0
  const queue = createQueue({ driver })
    .entrypoint('greet', async (job: Job<{ name: string }>) => {
      log(`  greet: hello, ${job.payload.name}!`)
    })
    .entrypoint('flaky', { maxAttempts: 3, backoff: { base: 300 } }, async () => {
      if (++flakyRuns === 1) throw new Error('upstream timed out (first attempt only)')
      log('  flaky: worked on attempt', flakyRuns)
    })
    .entrypoint('broken', { maxAttempts: 2, backoff: { base: 200 } }, async (job: Job<{ file: string }>) => {
      throw new TypeError(`cannot parse ${job.payload.file}`)
    })
    .entrypoint('slow', async (_job: Job<null>, { signal }) => {
      log('  slow: started, takes 30 s unless canceled')
      await sleep(30_000, signal)
    })

  queue.on('job:started', ({ job }) => log(`started   #${job.id} ${job.entrypoint} (attempt ${job.attempts})`))
  queue.on('job:succeeded', ({ job, durationMs }) => log(`succeeded #${job.id} ${job.entrypoint} in ${durationMs.toFixed(1)} ms`))
  queue.on('job:retried', ({ job, traceback, delayMs }) => log(`retrying  #${job.id} ${job.entrypoint} in ${delayMs} ms: ${traceback.message}`))
  queue.on('job:failed', ({ job, traceback, action }) => log(`failed    #${job.id} ${job.entrypoint} (${action}): ${traceback.name}: ${traceback.message}`))
  queue.on('job:lost', ({ job, reason }) => log(`stopped   #${job.id} ${job.entrypoint}: ${reason}`))

  const worker = queue.start({ batchSize: 5, pollInterval: '200ms' })
  const removeSignals = stopOnSignals(worker)
  log(`worker ${worker.workerId} listening for jobs`)

  const ids = await queue.enqueueMany([
    { entrypoint: 'greet', payload: { name: 'Ada' } },
    { entrypoint: 'greet', payload: { name: 'Grace' }, priority: 10 },
    { entrypoint: 'flaky', payload: {} },
    { entrypoint: 'broken', payload: { file: 'report.csv' } },
    { entrypoint: 'greet', payload: { name: 'Linus' }, dedupeKey: 'greet-linus' },
  ])
  log(`enqueued jobs ${ids.join(', ')} in one statement`)
  try {
    await queue.enqueue('greet', { name: 'Linus again' }, { dedupeKey: 'greet-linus' })
  } catch (error) {
    if (error instanceof DuplicateJobError) log(`refused duplicate: ${error.message.split('.')[0]}`)
  }

  const slow = await queue.enqueue('slow', null)
  await sleep(500)
  await queue.cancel([slow])
  log(`canceled #${slow}`)

  const statuses = await queue.waitFor([...ids, slow], { timeout: '30s' })
  log('final statuses:', Object.fromEntries([...ids, slow].map((id, i) => [id, statuses[i]])))
  const broken = (await queue.history(ids[3]!)).at(-1)
  log('traceback kept for the failed job:', JSON.stringify({ ...broken?.traceback, stack: broken?.traceback?.stack?.split('\n').slice(0, 2) }))

  removeSignals()
  const summary = await worker.stop()
  log('worker summary:', JSON.stringify({ ...summary, durationMs: Math.round(summary.durationMs) }))
  await queue.close()
  await driver.end()
  await embedded?.stop()
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
