// pg-boss 10 under plain node: 'drain' runs `loops` fetch(batchSize) → complete(ids) loops
// until a fetch comes back empty (what work() does, minus its sleep between batches);
// 'listen' uses work() at the smallest polling interval (pg-boss 10 has no LISTEN/NOTIFY).
import PgBoss from 'pg-boss'
import { config, cpuUs, main, now, peakRssKb, receive, send } from './protocol.mjs'

main(async () => {
  const c = config()
  const s = c.settings
  const boss = new PgBoss({
    connectionString: c.url,
    max: s.max,
    supervise: false,
    schedule: false,
    migrate: false,
  })
  boss.on('error', (error) => send({ type: 'log', message: String(error) }))
  await boss.start()
  let processed = 0
  if (c.mode === 'drain') {
    await boss.fetch('noop', { batchSize: s.batchSize }) // warm-up on the empty queue
    await send({ type: 'ready', rssKb: process.memoryUsage().rss / 1024 })
    await receive('go')
    const t0 = now()
    const cpu0 = process.cpuUsage()
    const loop = async () => {
      for (;;) {
        const jobs = await boss.fetch('noop', { batchSize: s.batchSize })
        if (!jobs || jobs.length === 0) return
        await boss.complete('noop', jobs.map((j) => j.id))
        processed += jobs.length
      }
    }
    await Promise.all(Array.from({ length: s.loops }, loop))
    const t1 = now()
    await send({ type: 'done', processed, startedAt: t0, finishedAt: t1, peakRssKb: peakRssKb(), cpuUs: cpuUs(cpu0) })
  } else {
    await boss.work('noop', { batchSize: 1, pollingIntervalSeconds: s.pollingIntervalSeconds }, async (jobs) => {
      for (const job of jobs) {
        processed++
        await send({ type: 'started', seq: job.data?.seq, at: now() })
      }
    })
    await send({ type: 'ready', rssKb: process.memoryUsage().rss / 1024 })
    await receive('stop')
    await send({ type: 'done', processed, peakRssKb: peakRssKb() })
  }
  await boss.stop({ graceful: false, wait: true, timeout: 1000 })
})
