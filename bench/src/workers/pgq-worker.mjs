// A pgq worker process under plain node, on @pgq/core's build (or PGQ_BENCH_CORE_ENTRY's).
// 'drain': queue.drain() until the queue is empty; 'listen': queue.start() (the continuous
// worker, woken by LISTEN/NOTIFY) until told to stop.
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import path from 'node:path'
import pg from 'pg'
import { core } from '../core.mjs'
import { config, cpuUs, main, now, peakRssKb, receive, send } from './protocol.mjs'

const { createQueue, nodePostgresDriver } = core

main(async () => {
  // { url, mode: 'drain' | 'listen', settings: QueueSettings['pgq'] (+ maintenance?: false), cpuProfDir?: write a CPU profile of the timed drain there }
  const c = config()
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
      void send({ type: 'started', seq: job.payload?.seq, at, insertAt: job.created.getTime(), claimAt: job.updated.getTime() })
    }
  })
  queue.on('worker:error', ({ error, during }) => void send({ type: 'log', message: `worker:error during ${during}: ${error}` }))
  const run = { batchSize: s.batchSize, maxConcurrentTasks: s.maxConcurrentTasks, flushDelay: s.flushDelay }
  // Only the drain gets the short poll: the listener's poll is its fallback, not its wake-up.
  const drainRun = { ...run, pollInterval: s.pollInterval }
  // maintenance: false keeps a drain from running retention (scenario 7 prunes on its own clock).
  if (s.maintenance === false) drainRun.maintenance = false
  if (c.mode === 'drain') {
    // Warm-up on the empty queue: schema check, the claim function's plan, JIT of the hot path.
    await queue.drain(drainRun)
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
    const summary = await queue.drain({ timeBudget: '1h', ...drainRun })
    const t1 = now()
    const cpu = cpuUs(cpu0)
    if (profiler) {
      const { profile } = await profiler.post('Profiler.stop')
      writeFileSync(path.join(c.cpuProfDir, `pgq-drain-${process.pid}.cpuprofile`), JSON.stringify(profile))
      profiler.disconnect()
    }
    await send({ type: 'done', processed: summary.succeeded, startedAt: t0, finishedAt: t1, peakRssKb: peakRssKb(), cpuUs: cpu, summary })
  } else {
    const worker = queue.start(run)
    await send({ type: 'ready', rssKb: process.memoryUsage().rss / 1024 })
    await receive('stop')
    const summary = await worker.stop()
    await send({ type: 'done', processed: summary.succeeded, peakRssKb: peakRssKb() })
  }
  await queue.close()
  await pool.end()
})
