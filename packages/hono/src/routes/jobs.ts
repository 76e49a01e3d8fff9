import type { JobId, NewJob } from '@pgq/core/edge'
import { Hono } from 'hono'
import type { QueueVariables } from '../context.js'
import { invalidJob } from '../errors.js'
import { jsonBody } from '../json-body.js'
import { enqueueBody, idParam, requeueBody } from '../schemas.js'
import { validate } from '../validate.js'

/** POST /jobs, GET /jobs/:id, POST /jobs/:id/cancel, POST /jobs/requeue. */
export function jobRoutes() {
  return new Hono<QueueVariables>()
    .post('/jobs', jsonBody(), validate('json', enqueueBody), async (c) => {
      const body = c.req.valid('json')
      const jobs = Array.isArray(body) ? body : [body]
      const queue = c.get('queue')
      // A job no handler serves would wait forever: refuse names this deployment does not know.
      const known = queue.entrypoints()
      const unknown = [...new Set(jobs.map((j) => j.entrypoint))].filter((e) => known.length > 0 && !known.includes(e))
      if (unknown.length > 0) return c.json({ error: 'unknown_entrypoint', message: `no handler is registered for: ${unknown.join(', ')}`, entrypoints: unknown, known }, 400)
      try {
        const ids = await queue.enqueueMany(jobs as NewJob[])
        return Array.isArray(body) ? c.json({ ids }, 201) : c.json({ id: ids[0]! }, 201)
      } catch (error) {
        // pgq checks the jobs again; what it refuses is a 400 naming the job's index in the batch.
        if ((error as { code?: unknown }).code === 'PGQ_INVALID_JOB') return invalidJob(c, error as Error, Array.isArray(body) ? body.length : undefined)
        throw error
      }
    })
    .post('/jobs/requeue', jsonBody(), validate('json', requeueBody), async (c) => {
      const ids = await c.get('queue').requeue(c.req.valid('json'))
      return c.json({ ids })
    })
    .get('/jobs/:id', validate('param', idParam), async (c) => {
      const { id } = c.req.valid('param')
      const queue = c.get('queue')
      const [[state], history, row] = await Promise.all([queue.status([id]), queue.history(id), queue.job(id)])
      if (!state?.status) return notFound(c, id)
      const traceback = history.findLast((entry) => entry.traceback)?.traceback ?? null
      return c.json({
        id,
        entrypoint: row?.entrypoint ?? history.at(-1)?.entrypoint ?? null,
        status: state.status,
        attempts: state.attempts,
        inQueue: state.inQueue,
        traceback,
        // A finished job's stored result; a queued or running job's last progress.
        result: state.result,
        progress: state.progress,
      })
    })
    .post('/jobs/:id/cancel', validate('param', idParam), async (c) => {
      const { id } = c.req.valid('param')
      const queue = c.get('queue')
      const [canceled] = await queue.cancel([id])
      if (canceled) return c.json({ id, canceled: true, previousStatus: canceled.previousStatus })
      const [state] = await queue.status([id])
      if (!state?.status) return notFound(c, id)
      return c.json({ error: 'not_cancelable', message: `job ${id} is ${state.status}, not queued or running`, status: state.status }, 409)
    })
}

function notFound(c: { json: (body: unknown, status: 404) => Response }, id: JobId) {
  return c.json({ error: 'not_found', message: `no job ${id}` }, 404)
}
