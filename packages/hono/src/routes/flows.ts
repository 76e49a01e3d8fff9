import type { FlowStep } from '@pgq/core/edge'
import { Hono } from 'hono'
import type { QueueVariables } from '../context.js'
import { invalidJob } from '../errors.js'
import { jsonBody } from '../json-body.js'
import { flowBody } from '../schemas.js'
import { validate } from '../validate.js'

/** POST /flows: a DAG of jobs in one transaction; answers each step's job id by key. */
export function flowRoutes() {
  return new Hono<QueueVariables>().post('/flows', jsonBody(), validate('json', flowBody), async (c) => {
    const steps = c.req.valid('json')
    const queue = c.get('queue')
    const known = queue.entrypoints()
    const unknown = [...new Set(steps.map((s) => s.entrypoint))].filter((e) => known.length > 0 && !known.includes(e))
    if (unknown.length > 0) return c.json({ error: 'unknown_entrypoint', message: `no handler is registered for: ${unknown.join(', ')}`, entrypoints: unknown, known }, 400)
    try {
      return c.json({ ids: await queue.flow(steps as FlowStep[]) }, 201)
    } catch (error) {
      // A cycle, an unknown key, a parent that does not exist: a 400 naming the step.
      if ((error as { code?: unknown }).code === 'PGQ_INVALID_JOB') return invalidJob(c, error as Error, steps.length)
      throw error
    }
  })
}
