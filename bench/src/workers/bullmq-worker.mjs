// A BullMQ 6 worker on Redis or on its PostgreSQL backend (the URL's scheme picks it), on the
// bench's node (BullMQ supports Node 14 and up). Settings from BullMQ's docs: `concurrency`,
// `removeOnComplete: { count: 0 }` (keep no completed job), `removeOnFail: { count: N }`.
// 'drain': the Worker runs from 'go' until it emits 'drained' (a fetch found no waiting job)
// and its jobs in flight have completed; 'listen': the Worker runs until told to stop.
import { Queue, Worker } from 'bullmq'
import { connectionArgs, QUEUE } from '../clients/bullmq.mjs'
import { config, cpuUs, main, now, peakRssKb, receive, send } from './protocol.mjs'

/**
 * Runs a few jobs through a queue of this process's own before anything is timed, as pgq's and
 * graphile-worker's workers warm up with a drain of the empty queue: BullMQ loads its scripts
 * (Lua on Redis, SQL functions on PostgreSQL) on first use, and the job path gets compiled.
 */
async function warmUp(url, options, poolMax) {
  const name = `${QUEUE}-warmup-${process.pid}`
  const n = Math.max(10, options.concurrency)
  const queue = new Queue(name, ...connectionArgs(url))
  const worker = new Worker(name, async () => undefined, ...connectionArgs(url, { ...options, autorun: true }, poolMax))
  let done = 0
  const finished = new Promise((resolve) => worker.on('completed', () => ++done === n && resolve()))
  await queue.addBulk(Array.from({ length: n }, () => ({ name: 'noop', data: {} })))
  await finished
  await worker.close()
  await queue.obliterate({ force: true })
  await queue.close()
}

main(async () => {
  const c = config()
  const s = c.settings
  const listening = c.mode === 'listen'
  let started = 0
  let finished = 0
  const processor = async (job) => {
    started++
    // timestamp: when the producer added the job; processedOn: when this worker took it (ms).
    if (listening) await send({ type: 'started', seq: job.data?.seq, at: now(), insertAt: job.timestamp, claimAt: job.processedOn })
  }
  const options = {
    concurrency: s.concurrency,
    removeOnComplete: { count: 0 },
    removeOnFail: { count: s.removeOnFailCount },
    autorun: false,
  }
  if (!listening) await warmUp(c.url, options, s.pgPoolMax)
  const worker = new Worker(QUEUE, processor, ...connectionArgs(c.url, options, s.pgPoolMax))
  worker.on('error', (error) => void send({ type: 'log', message: String(error) }))
  let onSettled = () => undefined
  const settle = () => {
    finished++
    onSettled()
  }
  // Emitted once the job's completion (or failure) is stored.
  worker.on('completed', settle)
  worker.on('failed', settle)
  await worker.waitUntilReady()
  if (!listening) {
    await send({ type: 'ready', rssKb: process.memoryUsage().rss / 1024 })
    await receive('go')
    const t0 = now()
    const cpu0 = process.cpuUsage()
    const drained = new Promise((resolve) => worker.once('drained', resolve))
    const running = worker.run()
    await drained
    await new Promise((resolve) => {
      onSettled = () => finished === started && resolve()
      onSettled()
    })
    const t1 = now()
    const cpu = cpuUs(cpu0)
    await worker.close()
    await running
    await send({ type: 'done', processed: finished, startedAt: t0, finishedAt: t1, peakRssKb: peakRssKb(), cpuUs: cpu })
  } else {
    const running = worker.run()
    await send({ type: 'ready', rssKb: process.memoryUsage().rss / 1024 })
    await receive('stop')
    await worker.close()
    await running
    await send({ type: 'done', processed: finished, peakRssKb: peakRssKb() })
  }
})
