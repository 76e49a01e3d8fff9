// The Cloudflare Workers deployment: the HTTP API plus a Cron Trigger that fires due
// schedules and drains the queue. A Pool per invocation, ended in ctx.waitUntil.
import { Pool } from '@neondatabase/serverless'
import { neonServerlessDriver } from '@pgq/core/neon-serverless'
import { createQueueApi } from '@pgq/hono'
import { scheduledHandler } from '@pgq/hono/workers'
import { defineQueue, logEvents } from './entrypoints.js'
import { useWsProxy } from './neon-proxy.js'

export interface Env {
  /** Secret: a Neon connection string (direct or -pooler; drains need no LISTEN). */
  DATABASE_URL: string
  /** Secret: the bearer token every route but /healthz requires (and the dashboard's login). */
  PGQ_TOKEN: string
  /** Optional: reach a self-hosted Postgres through `pgq proxy` (ws:// or wss:// URL). */
  PGQ_WS_PROXY?: string
  /** Optional: the demo `report` schedule's cron (default every minute). */
  PGQ_REPORT_CRON?: string
}

function queueFor(env: Env) {
  if (env.PGQ_WS_PROXY) useWsProxy(env.PGQ_WS_PROXY)
  const pool = new Pool({ connectionString: env.DATABASE_URL })
  let ending = false
  // An idle connection that drops must not become an uncaught exception (the pool opens
  // another when needed). workerd also reports a close the server side started as an error,
  // which is expected while the pool ends.
  pool.on('error', (error: Error) => ending || console.warn('pgq worker: idle database connection lost:', error.message))
  const queue = defineQueue(neonServerlessDriver({ pool }), { reportCron: env.PGQ_REPORT_CRON })
  logEvents(queue)
  const end = () => {
    ending = true
    return pool.end()
  }
  return { queue, end }
}

// The web dashboard at /dashboard: log in with PGQ_TOKEN.
const app = createQueueApi<Env>({ queueFor, tokenFrom: (env) => env.PGQ_TOKEN, dashboard: true })

export default {
  fetch: app.fetch,
  scheduled: scheduledHandler<Env>({ queueFor, timeBudget: '25s' }),
} satisfies ExportedHandler<Env>
