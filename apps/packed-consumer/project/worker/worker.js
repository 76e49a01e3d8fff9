// A Cloudflare Worker built only from the installed tarballs: pgq's Hono app plus the Cron
// handler, reaching Postgres with Neon's driver through `pgq proxy` (PGQ_WS_PROXY).
import { neonConfig, Pool } from '@neondatabase/serverless'
import { createQueue } from '@pgq/core/edge'
import { neonServerlessDriver, wsProxySettings } from '@pgq/core/neon-serverless'
import { createQueueApi } from '@pgq/hono'
import { scheduledHandler } from '@pgq/hono/workers'

function queueFor(env) {
  Object.assign(neonConfig, wsProxySettings(env.PGQ_WS_PROXY))
  const pool = new Pool({ connectionString: env.DATABASE_URL })
  let ending = false
  pool.on('error', (error) => ending || console.warn('idle connection lost:', error.message))
  const queue = createQueue({ driver: neonServerlessDriver({ pool }) })
    .entrypoint('square', async (job) => {
      if (typeof job.payload.n !== 'number') throw new TypeError(`bad payload ${JSON.stringify(job.payload)}`)
    })
    .entrypoint('boom', { maxAttempts: 1 }, async () => {
      throw new Error(`boom inside ${navigator.userAgent}`)
    })
  const end = () => {
    ending = true
    return pool.end()
  }
  return { queue, end }
}

const app = createQueueApi({ queueFor, tokenFrom: (env) => env.PGQ_TOKEN })
app.get('/runtime', (c) => c.json({ userAgent: navigator.userAgent, process: typeof process }))

export default {
  fetch: app.fetch,
  scheduled: scheduledHandler({ queueFor, timeBudget: 20_000 }),
}
