// A pgq worker process (run with tsx). 'drain': queue.run({ mode: 'drain' }) until the
// queue is empty; 'listen': queue.start({ mode: 'continuous' }) (LISTEN/NOTIFY) until told
// to stop. Same IPC protocol as protocol.mjs.
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import pg from 'pg'

interface Config {
  url: string
  mode: 'drain' | 'listen'
  /** Write a CPU profile of the timed drain (only) into this folder. */
  cpuProfDir?: string
  settings: { batchSize: number; maxConcurrentTasks: number; flushDelayMs: number; poolMax: number; pollIntervalMs: number; logSuccess: boolean }
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

// PGQ_BENCH_CORE_ENTRY=/path/to/a/patched/core/src/index.ts measures a candidate change to
// @pgq/core without touching the workspace package.
const core: typeof import('@pgq/core') = await import(
  process.env.PGQ_BENCH_CORE_ENTRY ? pathToFileURL(process.env.PGQ_BENCH_CORE_ENTRY).href : '@pgq/core'
)
const { createQueue, nodePostgresDriver } = core

async function main() {
  const c = JSON.parse(process.env.BENCH_WORKER_CONFIG ?? '{}') as Config
  const s = c.settings
  const pool = new pg.Pool({ connectionString: c.url, max: s.poolMax })
  const clients = await Promise.all(Array.from({ length: Math.min(4, s.poolMax) }, () => pool.connect()))
  for (const client of clients) client.release()
  const driver = nodePostgresDriver({ pool })
  const listening = c.mode === 'listen'
  const queue = createQueue({ driver }).entrypoint('noop', { logSuccess: s.logSuccess }, (job) => {
    // created and updated are the server's now() of the insert and of the claim (ms precision).
    if (listening) {
      const at = now()
      void send({ type: 'started', seq: (job.payload as { seq?: number } | null)?.seq, at, insertAt: job.created.getTime(), claimAt: job.updated.getTime() })
    }
  })
  queue.on('worker:error', ({ error, during }) => void send({ type: 'log', message: `worker:error during ${during}: ${error}` }))
  const run = { batchSize: s.batchSize, maxConcurrentTasks: s.maxConcurrentTasks, flushDelayMs: s.flushDelayMs }
  // Only the drain gets the short poll: the listener's poll is its fallback, not its wake-up.
  const drainRun = { ...run, pollIntervalMs: s.pollIntervalMs }
  if (c.mode === 'drain') {
    // Warm-up on the empty queue: schema check, the claim function's plan, JIT of the hot path.
    await queue.run({ mode: 'drain', ...drainRun })
    await send({ type: 'ready', rssKb: process.memoryUsage().rss / 1024 })
    await receive('go')
    const profiler = c.cpuProfDir ? new Session() : undefined
    if (profiler) {
      profiler.connect()
      await profiler.post('Profiler.enable')
      await profiler.post('Profiler.setSamplingInterval', { interval: 100 })
      await profiler.post('Profiler.start')
    }
    const t0 = now()
    const cpu0 = process.cpuUsage()
    const summary = await queue.run({ mode: 'drain', timeBudgetMs: 3_600_000, ...drainRun })
    const t1 = now()
    const cpu = process.cpuUsage(cpu0)
    if (profiler) {
      const { profile } = await profiler.post('Profiler.stop')
      writeFileSync(path.join(c.cpuProfDir!, `pgq-drain-${process.pid}.cpuprofile`), JSON.stringify(profile))
      profiler.disconnect()
    }
    await send({ type: 'done', processed: summary.succeeded, startedAt: t0, finishedAt: t1, peakRssKb: process.resourceUsage().maxRSS, cpuUs: cpu.user + cpu.system, summary })
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
