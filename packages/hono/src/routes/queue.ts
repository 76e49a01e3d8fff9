import { Hono } from 'hono'
import type { QueueVariables } from '../context.js'
import { jsonBody } from '../json-body.js'
import { drainBody } from '../schemas.js'
import { firingsJson, tick } from '../tick.js'
import { invalidRequest, validate } from '../validate.js'

/** POST /drain and GET /stats. */
export function queueRoutes(options: { maxDrainMs: number }) {
  return new Hono<QueueVariables>()
    // No body at all is `{}`: `curl -X POST /drain` drains with the default budget.
    .post('/drain', jsonBody({ optional: true }), validate('json', drainBody), async (c) => {
      const body = c.req.valid('json')
      const known = c.get('queue').entrypoints()
      const unknown = (body.entrypoints ?? []).flatMap((name, i) => (known.includes(name) ? [] : [{ path: `entrypoints.${i}`, message: `no handler is registered for ${JSON.stringify(name)}` }]))
      if (unknown.length > 0) return invalidRequest(c, unknown)
      const timeBudget = Math.min(body.timeBudget ?? options.maxDrainMs, options.maxDrainMs)
      const { schedules, summary } = await tick(c.get('queue'), { timeBudget, entrypoints: body.entrypoints })
      return c.json({ ...summary, schedules: firingsJson(schedules) })
    })
    .get('/stats', async (c) => {
      const rows = await c.get('queue').queueSize()
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
