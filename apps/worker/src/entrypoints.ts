// The demo's jobs and schedule, shared by the Workers and the Node deployment. Replace them
// with your own: everything else in this app stays as it is.
import type { Job, PgqDriver, Queue } from '@pgq/core/edge'
import { createQueue } from '@pgq/core/edge'

export interface DemoQueueOptions {
  /** The `report` schedule. Default every minute: as often as a Workers Cron Trigger runs. */
  reportCron?: string
  schema?: string
}

export function defineQueue(driver: PgqDriver, options: DemoQueueOptions = {}) {
  return createQueue({ driver, schema: options.schema })
    .entrypoint('greet', async (job: Job<{ name: string }>) => {
      console.log(`  greet: hello, ${job.payload.name}!`)
    })
    .entrypoint('flaky', { maxAttempts: 3, backoff: { base: 300 } }, async (job: Job<unknown>) => {
      if (job.attempts === 1) throw new Error('upstream timed out (first attempt only)')
      console.log(`  flaky: worked on attempt ${job.attempts}`)
    })
    .entrypoint('broken', { maxAttempts: 2, backoff: { base: 200 } }, async (job: Job<{ file: string }>) => {
      throw new TypeError(`cannot parse ${job.payload.file}`)
    })
    .entrypoint('slow', async (job: Job<{ seconds: number }>, { signal }) => {
      await sleep(job.payload.seconds * 1000, signal)
    })
    .entrypoint('report', async (job: Job<null>) => {
      console.log(`  report: the scheduled job #${job.id} ran`)
    })
    // Each tick enqueues a `report` job (deduplicated per tick), run by the handler above.
    .schedule('report', options.reportCron ?? '* * * * *')
}

export type DemoQueue = ReturnType<typeof defineQueue>

/** One log line per job event and schedule firing: what `npm start` shows. */
export function logEvents(queue: Pick<Queue, 'on'>, log: (line: string) => void = console.log): void {
  queue.on('job:started', ({ job }) => log(`started   #${job.id} ${job.entrypoint} (attempt ${job.attempts})`))
  queue.on('job:succeeded', ({ job, durationMs }) => log(`succeeded #${job.id} ${job.entrypoint} in ${durationMs.toFixed(1)} ms`))
  queue.on('job:retried', ({ job, traceback, delayMs }) => log(`retrying  #${job.id} ${job.entrypoint} in ${delayMs} ms: ${traceback.message}`))
  queue.on('job:failed', ({ job, traceback, action }) => log(`failed    #${job.id} ${job.entrypoint} (${action}): ${traceback.name}: ${traceback.message}`))
  queue.on('job:lost', ({ job, reason }) => log(`stopped   #${job.id} ${job.entrypoint}: ${reason}`))
  queue.on('schedule:fired', (f) => log(`schedule  ${f.entrypoint} (${f.expression}) fired for ${f.scheduledFor.toISOString()}: job #${f.jobId}`))
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => {
      clearTimeout(timer)
      reject(signal.reason)
    }, { once: true })
  })
}
