// A pgq worker process (run with tsx). 'drain': queue.run({ mode: 'drain' }) until the
// queue is empty; 'listen': queue.start({ mode: 'continuous' }) (LISTEN/NOTIFY) until told
// to stop. Same IPC protocol as protocol.mjs.
import { createQueue, nodePostgresDriver } from '@pgq/core'
import pg from 'pg'

interface Config {
  url: string
  mode: 'drain' | 'listen'
  settings: { batchSize: number; maxConcurrentTasks: number; flushDelayMs: number; poolMax: number }
}

const now = () => performance.timeOrigin + performance.now()
const send = (message: unknown) => new Promise<void>((resolve) => process.send!(message, undefined, undefined, () => resolve()))
const receive = (type: string) =>
  new Promise<void>((resolve) => {
    const on = (m: { type?: string }) => {
      if (m?.type === type) {
        process.off('message', on)
        resolve()
      }
    }
    process.on('message', on)
  })

async function main() {
  const c = JSON.parse(process.env.BENCH_WORKER_CONFIG ?? '{}') as Config
  const s = c.settings
  const pool = new pg.Pool({ connectionString: c.url, max: s.poolMax })
  const clients = await Promise.all(Array.from({ length: Math.min(4, s.poolMax) }, () => pool.connect()))
  for (const client of clients) client.release()
  const driver = nodePostgresDriver({ pool })
  const listening = c.mode === 'listen'
  const queue = createQueue({ driver }).entrypoint('noop', (job) => {
    if (listening) void send({ type: 'started', seq: (job.payload as { seq?: number } | null)?.seq, at: now() })
  })
  queue.on('worker:error', ({ error, during }) => void send({ type: 'log', message: `worker:error during ${during}: ${error}` }))
  const run = { batchSize: s.batchSize, maxConcurrentTasks: s.maxConcurrentTasks, flushDelayMs: s.flushDelayMs }
  if (c.mode === 'drain') {
    // Warm-up on the empty queue: schema check, the claim function's plan, JIT of the hot path.
    await queue.run({ mode: 'drain', ...run })
    await send({ type: 'ready', rssKb: process.memoryUsage().rss / 1024 })
    await receive('go')
    const t0 = now()
    const summary = await queue.run({ mode: 'drain', timeBudgetMs: 3_600_000, ...run })
    const t1 = now()
    await send({ type: 'done', processed: summary.succeeded, startedAt: t0, finishedAt: t1, peakRssKb: process.resourceUsage().maxRSS, summary })
  } else {
    const worker = queue.start({ mode: 'continuous', ...run })
    await send({ type: 'ready', rssKb: process.memoryUsage().rss / 1024 })
    await receive('stop')
    const summary = await worker.stop()
    await send({ type: 'done', processed: summary.succeeded, peakRssKb: process.resourceUsage().maxRSS })
  }
  await queue.close()
  await pool.end()
}

main().then(
  () => process.disconnect?.(),
  async (error) => {
    await send({ type: 'error', message: String(error?.stack ?? error) }).catch(() => undefined)
    process.exitCode = 1
    process.disconnect?.()
  },
)
