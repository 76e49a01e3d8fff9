// POST /jobs takes a job's dedupe option: the modes reach pgq as sent, a bad one is a 400 naming it.
import { withPgClient } from '@pgq/core'
import { beforeEach, describe, expect, it } from 'vitest'
import { createQueueApi } from '../src/index.js'
import { bearer, testQueue, useAppDatabase } from './support.js'

const fixture = useAppDatabase('hono_dedupe_modes')
beforeEach(() => withPgClient(fixture.db.url, (c) => c.query('delete from pgq.jobs; delete from pgq.log; delete from pgq.dedupe_windows')))

const jobs = () => withPgClient(fixture.db.url, async (c) => (await c.query('select id::int, payload, extract(epoch from execute_after - created)::float8 as after_s from pgq.jobs')).rows)

describe('POST /jobs with dedupe', () => {
  const app = () => createQueueApi({ queue: testQueue(fixture.driver), token: 't' })
  const post = async (body: unknown) => {
    const res = await app().request('/jobs', { method: 'POST', headers: { ...bearer('t'), 'content-type': 'application/json' }, body: JSON.stringify(body) })
    return { status: res.status, body: (await res.json()) as Record<string, unknown> }
  }

  it('replace and debounce answer the held job id; throttle answers null within its window', async () => {
    const first = await post({ entrypoint: 'ok', payload: 1, dedupe: { key: 'r', mode: 'replace' } })
    expect(first.status).toBe(201)
    expect(await post({ entrypoint: 'ok', payload: 2, dedupe: { key: 'r', mode: 'replace' } })).toEqual({ status: 201, body: { id: first.body.id } })
    expect(await jobs()).toMatchObject([{ id: first.body.id, payload: 2 }])

    const debounced = await post([{ entrypoint: 'ok', payload: 3, dedupe: { key: 'd', mode: 'debounce', delay: '10s', maxDelay: 60_000 } }])
    expect((debounced.body.ids as number[])[0]).toEqual(expect.any(Number))
    expect((await jobs()).find((j) => j.payload === 3)).toMatchObject({ after_s: 10 })

    const throttled = { entrypoint: 'ok', payload: 4, dedupe: { key: 't', mode: 'throttle', window: '1h' } }
    expect((await post(throttled)).body.id).toEqual(expect.any(Number))
    expect(await post(throttled)).toEqual({ status: 201, body: { id: null } })
  })

  it('refuses a bad mode, duration or field with a 400 naming it, and writes nothing', async () => {
    const cases: [unknown, string][] = [
      [{ entrypoint: 'ok', dedupe: { key: 'k', mode: 'replce' } }, 'dedupe.mode'],
      [{ entrypoint: 'ok', dedupe: { mode: 'replace' } }, 'dedupe.key'],
      [{ entrypoint: 'ok', dedupe: { key: 'k', mode: 'throttle', window: -1 } }, 'dedupe.window'],
      [{ entrypoint: 'ok', dedupe: { key: 'k', mode: 'throttle', windw: '1m' } }, 'dedupe.windw'],
      [[{ entrypoint: 'ok', dedupeKey: 'k' }, { entrypoint: 'ok', dedupe: { key: 'k', mode: 'replace' } }], '1.dedupe.key'],
    ]
    for (const [body, path] of cases) {
      const res = await post(body)
      expect(res.status, path).toBe(400)
      expect(JSON.stringify(res.body)).toContain(`"path":"${path}"`)
    }
    // Rules between fields are pgq's: still a 400, its message naming the field.
    const missing = await post({ entrypoint: 'ok', dedupe: { key: 'k', mode: 'throttle' } })
    expect(missing.status).toBe(400)
    expect(JSON.stringify(missing.body)).toContain('dedupe.window is required')
    expect(await jobs()).toEqual([])
  })
})
