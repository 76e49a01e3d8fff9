// The Cloudflare Workers deployment over Hyperdrive: the same HTTP API and Cron Trigger as
// src/worker.ts, with node-postgres through a Hyperdrive binding instead of Neon's
// WebSocket driver. Needs the nodejs_compat flag (wrangler.hyperdrive.toml).
import { hyperdriveDriver } from '@pgq/core/hyperdrive'
import { createQueueApi } from '@pgq/hono'
import { scheduledHandler } from '@pgq/hono/workers'
import { defineQueue, logEvents } from './entrypoints.js'

export interface Env {
  /** The Hyperdrive binding in front of the database (drains need no LISTEN, which Hyperdrive lacks). */
  HYPERDRIVE: Hyperdrive
  /** Secret: the bearer token every route but /healthz requires. */
  PGQ_TOKEN: string
  /** Optional: the demo `report` schedule's cron (default every minute). */
  PGQ_REPORT_CRON?: string
}

/** One driver per invocation: Hyperdrive keeps the database connections warm between them. */
function queueFor(env: Env) {
  const driver = hyperdriveDriver({ hyperdrive: env.HYPERDRIVE })
  const queue = defineQueue(driver, { reportCron: env.PGQ_REPORT_CRON })
  logEvents(queue)
  return { queue, end: () => driver.end() }
}

const app = createQueueApi<Env>({ queueFor, tokenFrom: (env) => env.PGQ_TOKEN })

export default {
  fetch: app.fetch,
  scheduled: scheduledHandler<Env>({ queueFor, timeBudget: '25s' }),
} satisfies ExportedHandler<Env>
