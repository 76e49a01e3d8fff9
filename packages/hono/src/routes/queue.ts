import { Hono } from 'hono'
import type { QueueVariables } from '../context.js'
import { drainBody } from '../schemas.js'
import { firingsJson, tick } from '../tick.js'
import { validate } from '../validate.js'

/** POST /drain and GET /stats. */
export function queueRoutes(options: { maxDrainMs: number }) {
  return new Hono<QueueVariables>()
    .post('/drain', validate('json', drainBody), async (c) => {
      const body = c.req.valid('json')
      const timeBudgetMs = Math.min(body.timeBudgetMs ?? options.maxDrainMs, options.maxDrainMs)
      const { schedules, summary } = await tick(c.get('queue'), { timeBudgetMs, entrypoints: body.entrypoints })
      return c.json({ ...summary, schedules: firingsJson(schedules) })
    })
    .get('/stats', async (c) => {
      const rows = await c.get('queue').producer.queueSize()
      const entrypoints: Record<string, Record<string, number>> = {}
      let total = 0
      for (const row of rows) {
        const byStatus = entrypoints[row.entrypoint] ?? {}
        byStatus[row.status] = (byStatus[row.status] ?? 0) + row.count
        entrypoints[row.entrypoint] = byStatus
        total += row.count
      }
      return c.json({ total, entrypoints })
    })
}
