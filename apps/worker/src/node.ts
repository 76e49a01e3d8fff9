// The VM deployment: one Node process serves the HTTP API and runs the continuous worker
// (woken by LISTEN/NOTIFY) and the scheduler. SIGTERM: stop taking requests, let running
// jobs finish, close the connections, exit 0.
import { nodePostgresDriver } from '@pgq/core'
import { createQueueApi } from '@pgq/hono'
import { serve } from '@pgq/hono/node'
import { defineQueue, logEvents } from './entrypoints.js'

const env = process.env
const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 23)}] ${line}`)

function required(name: string): string {
  const value = env[name]
  if (!value) {
    console.error(`pgq worker app: set ${name}`)
    process.exit(2)
  }
  return value
}

const driver = nodePostgresDriver({ connectionString: required('DATABASE_URL') })
const queue = defineQueue(driver, { reportCron: env.PGQ_REPORT_CRON })
logEvents(queue, log)
// The web dashboard at /dashboard: log in with PGQ_TOKEN.
const app = createQueueApi({ queue, token: required('PGQ_TOKEN'), dashboard: true })

const server = await serve({
  app,
  queue,
  port: Number(env.PORT ?? 3000),
  hostname: env.HOST ?? '127.0.0.1',
  // The poll only catches delayed jobs and missed notifications; NOTIFY wakes the worker at once.
  worker: { pollInterval: Number(env.PGQ_POLL_INTERVAL_MS ?? 1000) },
  onClose: () => driver.end(),
})
log(`listening on ${server.url}; worker ${server.worker.workerId} is waiting for jobs`)
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => log(`${signal}: finishing running jobs, then exiting`))

try {
  const summary = await server.closed
  log(`stopped cleanly: ${JSON.stringify({ ...summary, durationMs: Math.round(summary?.durationMs ?? 0) })}`)
} catch (error) {
  console.error('pgq worker app: the worker failed:', error)
  process.exitCode = 1
}
