// The GET handlers: read the parameters (bounded), ask the queue, render.
import { groupFailures } from '@pgq/core/edge'
import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { type DashboardEnv, to } from './env.js'
import { HELD_CHOICES, FailuresPage } from './failures.js'
import { JobPage, LookupPage } from './jobs.js'
import { OverviewPage } from './overview.js'
import { badParam, DAY, dedupeKeyParam, durationParam, entrypointParam, integerParam, jobIdParam, MAX_IDS, MINUTE, oneOf } from './params.js'
import { render } from './render.js'
import { SchedulesPage } from './schedules.js'
import { viewOf } from './view.js'

const DEFAULT_WINDOW = '1h'

export function pageRoutes() {
  return new Hono<DashboardEnv>()
    .get('/', async (c) => {
      const windowText = c.req.query('window') || DEFAULT_WINDOW
      const windowMs = durationParam('window', windowText, { min: 5 * MINUTE, max: 7 * DAY })!
      const until = new Date()
      const since = new Date(until.getTime() - windowMs)
      const queue = c.get('queue')
      const [entrypoints, buckets] = await Promise.all([queue.overview(), queue.statistics({ since, until })])
      return render(c, <OverviewPage view={viewOf(c)} data={{ windowText, windowMs, since, until, entrypoints, buckets }} />)
    })
    .get('/failures', async (c) => {
      const held = oneOf('held', c.req.query('held'), HELD_CHOICES, 'all')
      const entrypoint = c.req.query('entrypoint') ?? ''
      const within = c.req.query('within') ?? ''
      const newerThan = durationParam('within', within, { min: MINUTE, max: 365 * DAY })
      const limit = integerParam('limit', c.req.query('limit'), { min: 1, max: MAX_IDS, fallback: 200 })
      const records = await c.get('queue').failures({
        limit,
        ...(held === 'all' ? {} : { held: held === 'held' }),
        ...(entrypoint ? { entrypoints: [entrypointParam('entrypoint', entrypoint)] } : {}),
        ...(newerThan === undefined ? {} : { newerThan }),
      })
      return render(c, <FailuresPage view={viewOf(c)} data={{ held, entrypoint, within, limit, records, groups: groupFailures(records) }} />)
    })
    .get('/jobs', async (c) => {
      const id = c.req.query('id') ?? ''
      const key = c.req.query('key') ?? ''
      if (id && key) throw badParam('id', 'and key cannot both be given: look up by one of them')
      if (id) return c.redirect(to(c, `/jobs/${jobIdParam('id', id)}`), 302)
      if (!key) return render(c, <LookupPage view={viewOf(c)} />)
      const job = await c.get('queue').jobByDedupeKey(dedupeKeyParam('key', key))
      if (job) return c.redirect(to(c, `/jobs/${job.id}`), 302)
      return render(c, <LookupPage view={viewOf(c)} notFound="No queued or running job holds that dedupe key (keys are only held until a job finishes)." />, 404)
    })
    .get('/jobs/:id', async (c) => {
      const id = jobIdParam('id', c.req.param('id'))
      const queue = c.get('queue')
      const [[state], job, history] = await Promise.all([queue.status([id]), queue.job(id), queue.history(id)])
      if (!state?.status) throw new HTTPException(404, { message: `No job ${id}: it never existed, or its log was pruned.` })
      return render(c, <JobPage view={viewOf(c)} data={{ id, state, job, history }} />)
    })
    .get('/schedules', async (c) => render(c, <SchedulesPage view={viewOf(c)} schedules={await c.get('queue').schedules()} />))
}
