// The POST handlers: each changes one thing, then redirects (303) to the page it was asked
// from (its `back` field, filters kept; else the action's own page) with a flash message. The
// CSRF checks ran before any of them.
import type { JobId } from '@pgq/core/edge'
import { Hono } from 'hono'
import { BACK_FIELD, backTo } from './back.js'
import { type DashboardContext, type DashboardEnv, type Flash, to } from './env.js'
import { redirectWithFlash } from './flash.js'
import { badParam, entrypointParam, formIds, formOf as form, formText, jobIdParam } from './params.js'

export function actionRoutes(secureCookie: boolean | undefined) {
  const done = async (c: DashboardContext, path: string, flash: Flash) =>
    redirectWithFlash(c, backTo(c, (await form(c))[BACK_FIELD]) ?? to(c, path), flash, secureCookie)

  return new Hono<DashboardEnv>()
    .post('/jobs/:id/requeue', async (c) => {
      const id = jobIdParam('id', c.req.param('id'))
      const [requeued] = await c.get('queue').requeue([id])
      if (requeued !== undefined) return done(c, `/jobs/${id}`, { kind: 'ok', text: `Job ${id} is queued again, its attempts reset.` })
      return done(c, `/jobs/${id}`, { kind: 'error', text: `Job ${id} was not requeued: only held (failed) jobs can be, and it ${await statusText(c, id)}.` })
    })
    .post('/jobs/:id/cancel', async (c) => {
      const id = jobIdParam('id', c.req.param('id'))
      const [canceled] = await c.get('queue').cancel([id])
      if (canceled) return done(c, `/jobs/${id}`, { kind: 'ok', text: `Job ${id} is canceled (it was ${canceled.previousStatus}).` })
      return done(c, `/jobs/${id}`, { kind: 'error', text: `Job ${id} was not canceled: only queued or running jobs can be, and it ${await statusText(c, id)}.` })
    })
    .post('/failures/requeue', async (c) => {
      const ids = formIds(await form(c), 'ids')
      const requeued = await c.get('queue').requeue(ids)
      const text = `Requeued ${requeued.length} of ${ids.length} held job${ids.length === 1 ? '' : 's'}${requeued.length < ids.length ? ' (the others were no longer held)' : ''}.`
      return done(c, '/failures', { kind: requeued.length > 0 ? 'ok' : 'error', text })
    })
    .post('/entrypoints/:change{pause|resume}', async (c) => {
      const name = entrypointParam('entrypoint', formText(await form(c), 'entrypoint'))
      const queue = c.get('queue')
      // Only names the overview lists: a typo must not store a policy for an entrypoint nobody runs.
      if (!(await queue.overview()).some((e) => e.entrypoint === name)) throw badParam('entrypoint', 'is not an entrypoint this queue knows')
      if (c.req.param('change') === 'pause') {
        await queue.pause(name)
        return done(c, '', { kind: 'ok', text: `Paused ${name}: no worker claims its jobs until it is resumed (running ones finish).` })
      }
      await queue.resume(name)
      return done(c, '', { kind: 'ok', text: `Resumed ${name}.` })
    })
}

async function statusText(c: DashboardContext, id: JobId): Promise<string> {
  const [state] = await c.get('queue').status([id])
  return state?.status ? `is ${state.status}` : 'does not exist'
}
