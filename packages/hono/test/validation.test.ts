// Bad input is a 400 naming the field (and the job's index in a batch), never a 500, and
// nothing is written: every value either reaches PostgreSQL as sent or is refused.
import { InvalidJobError, withPgClient } from '@pgq/core'
import { beforeEach, describe, expect, it } from 'vitest'
import { type AppQueue, createQueueApi } from '../src/index.js'
import { bearer, testQueue, useAppDatabase } from './support.js'

const fixture = useAppDatabase('hono_validation')
beforeEach(() => withPgClient(fixture.db.url, (c) => c.query('delete from pgq.jobs; delete from pgq.log')))

const jobCount = () => withPgClient(fixture.db.url, async (c) => Number((await c.query<{ n: string }>('select count(*) as n from pgq.jobs')).rows[0]!.n))
const post = (app: { request: (path: string, init: RequestInit) => Response | Promise<Response> }, path: string, body: string) =>
  app.request(path, { method: 'POST', headers: { ...bearer('t'), 'content-type': 'application/json' }, body })

describe('POST /jobs refuses what PostgreSQL or JSON would refuse or change', () => {
  const job = (fields: string) => `{"entrypoint":"ok"${fields}}`
  // [what, raw JSON body, path of the (first) issue]
  const cases: [string, string, string][] = [
    ['U+0000 in the entrypoint', '{"entrypoint":"ok\\u0000"}', 'entrypoint'],
    ['a lone surrogate in the entrypoint', '{"entrypoint":"\\udc00ok"}', 'entrypoint'],
    ['U+0000 in the dedupeKey', job(',"dedupeKey":"k\\u0000"'), 'dedupeKey'],
    ['a lone high surrogate in the dedupeKey', job(',"dedupeKey":"k\\ud800"'), 'dedupeKey'],
    ['U+0000 in a payload string', job(',"payload":"a\\u0000b"'), 'payload'],
    ['U+0000 deep in the payload', job(',"payload":{"user":{"names":["x","a\\u0000"]}}'), 'payload.user.names.1'],
    ['U+0000 in a payload key', job(',"payload":{"a\\u0000":1}'), 'payload'],
    ['a lone surrogate in the payload', job(',"payload":["\\ud800"]'), 'payload.0'],
    ['U+0000 in a header value', job(',"headers":{"trace":"\\u0000"}'), 'headers.trace'],
    ['a lone surrogate in a header key', job(',"headers":{"\\ud800":1}'), 'headers'],
    ['headers that are an array', job(',"headers":[1,2]'), 'headers'],
    ['headers that are a string', job(',"headers":"x"'), 'headers'],
    ['headers that are null', job(',"headers":null'), 'headers'],
    ['a header key pgq would drop', job(',"headers":{"constructor":1}'), 'headers'],
    ['a payload nested 65 deep', job(`,"payload":${'['.repeat(65)}${']'.repeat(65)}`), `payload${'.0'.repeat(64)}`],
    // Refused before JSON.parse, where the body as a whole passes 68 levels.
    ['a payload nested 100 000 deep', job(`,"payload":${'['.repeat(100_000)}${']'.repeat(100_000)}`), `payload${'.0'.repeat(67)}`],
    ['a payload number beyond a double', job(',"payload":1e400'), 'payload'],
    ['a payload integer a double rounds', job(',"payload":{"id":12345678901234567890}'), 'payload.id'],
    ['year 0000', job(',"runAt":"0000-12-31T23:00:00Z"'), 'runAt'],
    ['before year 1 after the offset', job(',"runAt":"0001-01-01T00:30:00+01:00"'), 'runAt'],
    ['a year past 9999', job(',"runAt":"+010000-01-01T00:00:00Z"'), 'runAt'],
    ['February 30th', job(',"runAt":"2030-02-30T00:00:00Z"'), 'runAt'],
    ['February 29th of a common year', job(',"runAt":"2031-02-29T00:00:00Z"'), 'runAt'],
    ['a time without an offset', job(',"runAt":"2030-01-01T00:00:00"'), 'runAt'],
    ['an offset JavaScript cannot read', job(',"runAt":"2030-01-01T00:00:00+05"'), 'runAt'],
    ['a date without a time', job(',"runAt":"2030-01-01"'), 'runAt'],
    ['a leap second', job(',"runAt":"2030-06-30T23:59:60Z"'), 'runAt'],
    ['prose for runAt', job(',"runAt":"tomorrow"'), 'runAt'],
    ['runAt as a number (a delay is delay)', job(',"runAt":60000'), 'runAt'],
    ['runAt as a boolean', job(',"runAt":true'), 'runAt'],
    ['runAt and delay together', job(',"runAt":"2030-01-01T00:00:00Z","delay":1000'), 'runAt'],
    ['runAt and delay together in a batch', `[${job('')},${job(',"runAt":"2030-01-01T00:00:00Z","delay":"5m"')}]`, '1.runAt'],
    ['a negative delay', job(',"delay":-1'), 'delay'],
    ['a huge delay', job(',"delay":1e300'), 'delay'],
    ['an infinite delay', job(',"delay":1e999'), 'delay'],
    ['a delay over 100 years', job(`,"delay":${100 * 365.25 * 24 * 3600 * 1000 + 1}`), 'delay'],
    ['a delay as text pgq cannot read', job(',"delay":"tomorrow"'), 'delay'],
    ['a delay as an ISO duration', job(',"delay":"PT5M"'), 'delay'],
    ['a negative delay as text', job(',"delay":"-5s"'), 'delay'],
    ['a delay as text over 100 years', job(',"delay":"101y"'), 'delay'],
    ['an empty delay text', job(',"delay":""'), 'delay'],
    ['delay as a boolean', job(',"delay":true'), 'delay'],
    ['the old executeAfter field', job(',"executeAfter":1000'), 'executeAfter'],
    ['priority above a smallint', job(',"priority":32768'), 'priority'],
    ['priority below a smallint', job(',"priority":-32769'), 'priority'],
    ['a fractional priority', job(',"priority":1.5'), 'priority'],
    ['a priority a double rounds to an integer', job(',"priority":1.0000000000000001'), 'priority'],
    ['priority as a string', job(',"priority":"1"'), 'priority'],
    ['an empty dedupeKey', job(',"dedupeKey":""'), 'dedupeKey'],
    ['a dedupeKey over 512 characters', job(`,"dedupeKey":"${'k'.repeat(513)}"`), 'dedupeKey'],
    ['an entrypoint over 128 characters', `{"entrypoint":"${'e'.repeat(129)}"}`, 'entrypoint'],
    ['an unknown field', job(',"dedupe_key":"k"'), 'dedupe_key'],
    ['an unknown field named like an Object method', job(',"constructor":1'), 'constructor'],
    ['a repeated field', '{"entrypoint":"fail","entrypoint":"ok"}', 'entrypoint'],
    ['a repeated payload key', job(',"payload":{"a":1,"\\u0061":2}'), 'payload.a'],
    ['a body that is a string', '"ok"', ''],
    ['a body that is null', 'null', ''],
    ['an empty batch', '[]', ''],
    ['a batch of 1001 jobs', `[${Array(1001).fill('{"entrypoint":"ok"}').join(',')}]`, ''],
    ['a batch holding a string', '[{"entrypoint":"ok"},"ok"]', '1'],
    ['a batch holding an array', '[{"entrypoint":"ok"},[]]', '1'],
    ['a bad job in a batch', '[{"entrypoint":"ok"},{"entrypoint":"ok"},{"entrypoint":"ok","priority":1e6}]', '2.priority'],
    ['U+0000 in a batch', '[{"entrypoint":"ok"},{"entrypoint":"ok","payload":{"x":"\\u0000"}}]', '1.payload.x'],
    ['a dedupeKey twice in one batch', '[{"entrypoint":"ok","dedupeKey":"k"},{"entrypoint":"ok","dedupeKey":"k"}]', '1.dedupeKey'],
  ]

  it.each(cases)('%s → 400 at its path, nothing written', async (_what, body, path) => {
    const app = createQueueApi({ queue: testQueue(fixture.driver), token: 't' })
    const res = await post(app, '/jobs', body)
    const json = await res.json()
    expect(res.status).toBe(400)
    expect(json).toMatchObject({ error: 'invalid_request', issues: expect.arrayContaining([{ path, message: expect.any(String) }]) })
    expect(await jobCount()).toBe(0)
  })

  it('accepts the edges of every range and stores them as sent', async () => {
    const app = createQueueApi({ queue: testQueue(fixture.driver), token: 't' })
    const payload = { emoji: '😀', nested: [[{ deep: 'x' }]], big: 9007199254740991, small: 5e-324, float: 0.1, exp: 1e300, neg: -0.5, nul: null }
    const res = await post(
      app,
      '/jobs',
      JSON.stringify([
        { entrypoint: 'ok', payload, priority: 32767, runAt: '9999-12-31T23:59:59.999Z', dedupeKey: 'k'.repeat(512), headers: { trace: { id: 'a\u00e9' } } },
        { entrypoint: 'ok', priority: -32768, runAt: '0001-01-01T01:00:00+01:00' },
        { entrypoint: 'ok', delay: 100 * 365.25 * 24 * 3600 * 1000 },
        { entrypoint: 'ok', runAt: '2032-02-29T12:30:00.123456+05:30' },
        { entrypoint: 'ok', delay: '100y' },
        { entrypoint: 'ok', delay: '90 minutes' },
        { entrypoint: 'ok', delay: 0 },
      ]),
    )
    expect(res.status).toBe(201)
    const { ids } = (await res.json()) as { ids: number[] }
    const rows = await withPgClient(fixture.db.url, async (c) =>
      (await c.query<{ at: string }>(`select payload, priority, to_char(execute_after at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS') as at, dedupe_key, headers from pgq.jobs where id = any($1) order by id`, [ids])).rows,
    )
    expect(rows[0]).toEqual({ payload, priority: 32767, at: '9999-12-31 23:59:59.999', dedupe_key: 'k'.repeat(512), headers: { trace: { id: 'aé' } } })
    expect(rows[1]).toMatchObject({ priority: -32768, at: '0001-01-01 00:00:00.000' })
    expect(rows[2]!.at.slice(0, 2)).toBe('21') // a century from now
    expect(rows[3]).toMatchObject({ at: '2032-02-29 07:00:00.123' }) // kept to the millisecond
    expect(rows[4]!.at.slice(0, 2)).toBe('21') // '100y': the same century
    const minutes = (at: string) => (new Date(`${at.replace(' ', 'T')}Z`).getTime() - Date.now()) / 60_000
    expect(minutes(rows[5]!.at)).toBeGreaterThan(85) // '90 minutes' from now
    expect(minutes(rows[5]!.at)).toBeLessThan(91)
    expect(Math.abs(minutes(rows[6]!.at))).toBeLessThan(1) // delay 0: now
  })
})

describe('other routes', () => {
  it('refuses bad requeue and drain bodies with their paths', async () => {
    const app = createQueueApi({ queue: testQueue(fixture.driver), token: 't' })
    const expectIssue = async (path: string, body: string, issuePath: string) => {
      const res = await post(app, path, body)
      expect(res.status, `${path} ${body.slice(0, 60)}`).toBe(400)
      expect((await res.json()).issues).toContainEqual({ path: issuePath, message: expect.any(String) })
    }
    await expectIssue('/jobs/requeue', '{"entrypoints":["ok\\u0000"]}', 'entrypoints.0')
    await expectIssue('/jobs/requeue', '{"ids":[1.5]}', 'ids.0')
    await expectIssue('/jobs/requeue', '{"ids":[9007199254740993]}', 'ids.0')
    await expectIssue('/jobs/requeue', '{"ids":"1"}', 'ids')
    await expectIssue('/jobs/requeue', `{"entrypoints":[${Array(1001).fill('"ok"').join(',')}]}`, 'entrypoints')
    await expectIssue('/jobs/requeue', '{"id":[1]}', 'id')
    await expectIssue('/drain', '{"entrypoints":["ok\\u0000"]}', 'entrypoints.0')
    await expectIssue('/drain', '{"entrypoints":["ok","nope"]}', 'entrypoints.1')
    // Before, a drain that listed one twice retried its claim for the whole budget, then answered 200.
    await expectIssue('/drain', '{"entrypoints":["ok","ok"]}', 'entrypoints')
    await expectIssue('/drain', '{"entrypoints":[]}', 'entrypoints')
    await expectIssue('/drain', '{"timeBudget":1e999}', 'timeBudget')
    await expectIssue('/drain', '{"timeBudget":0}', 'timeBudget')
    await expectIssue('/drain', '[]', '')
    await expectIssue('/jobs/requeue', '[]', '')
  })

  it('answers 400 for job ids that are not ids, on both :id routes', async () => {
    const app = createQueueApi({ queue: testQueue(fixture.driver), token: 't' })
    for (const id of ['abc', '0', '-1', '1.5', '1e3', '9007199254740992', '99999999999999999', '%E0%A4%A', '%00', '%F0%9F%98%80', ' 1']) {
      for (const [method, path] of [['GET', `/jobs/${id}`], ['POST', `/jobs/${id}/cancel`]] as const) {
        const res = await app.request(path, { method, headers: bearer('t') })
        expect(res.status, `${method} ${path}`).toBe(400)
        expect(await res.json()).toMatchObject({ error: 'invalid_request', issues: [{ path: 'id' }] })
      }
    }
    expect((await app.request('/jobs/9007199254740991', { headers: bearer('t') })).status).toBe(404)
  })
})

describe("pgq's own checks", () => {
  // The HTTP schemas refuse everything pgq would today; pgq may grow stricter, and its
  // InvalidJobError (whatever its message) still becomes a 400 naming the job.
  const refusing = (index: number | undefined) => {
    const queue = testQueue(fixture.driver)
    return Object.assign(queue, { enqueueMany: () => Promise.reject(new InvalidJobError('a rule pgq gained later', index)) }) as unknown as AppQueue
  }

  it('turns InvalidJobError into 400 invalid_request naming the batch index', async () => {
    const batch = await post(createQueueApi({ queue: refusing(2), token: 't' }), '/jobs', '[{"entrypoint":"ok"},{"entrypoint":"ok"},{"entrypoint":"ok"}]')
    expect(batch.status).toBe(400)
    expect(await batch.json()).toEqual({ error: 'invalid_request', issues: [{ path: '2', message: 'job #2: a rule pgq gained later' }] })
    // pgq gives no index for a batch of one: it is still job 0 of the body's array.
    const one = await post(createQueueApi({ queue: refusing(undefined), token: 't' }), '/jobs', '[{"entrypoint":"ok"}]')
    expect(await one.json()).toEqual({ error: 'invalid_request', issues: [{ path: '0', message: 'a rule pgq gained later' }] })
    const single = await post(createQueueApi({ queue: refusing(undefined), token: 't' }), '/jobs', '{"entrypoint":"ok"}')
    expect(single.status).toBe(400)
    expect(await single.json()).toEqual({ error: 'invalid_request', issues: [{ path: '', message: 'a rule pgq gained later' }] })
  })

  it("names the job and the field of pgq's own refusals, in batches and flows", async () => {
    const app = createQueueApi({ queue: testQueue(fixture.driver), token: 't' })
    const issuePath = async (path: string, body: string) => {
      const res = await post(app, path, body)
      expect(res.status, body.slice(0, 80)).toBe(400)
      return ((await res.json()) as { issues: { path: string; message: string }[] }).issues[0]!
    }
    // The database finds the missing parent; pgq finds the job that named it.
    const later = '{"entrypoint":"ok","delay":"1h"}'
    expect(await issuePath('/jobs', `[${later},${later},{"entrypoint":"ok","dependsOn":[999997]}]`)).toMatchObject({ path: '2.dependsOn', message: expect.stringMatching(/^job #2: .*999997/) })
    expect(await issuePath('/jobs', '{"entrypoint":"ok","dedupe":{"key":"d","mode":"debounce"}}')).toMatchObject({ path: 'dedupe.delay' })
    expect(await issuePath('/jobs', `[${later},{"entrypoint":"ok","dedupe":{"key":"d","mode":"debounce"}}]`)).toMatchObject({ path: '1.dedupe.delay' })
    // A flow's step index, not the index inside the level pgq inserts it with.
    const flow = (c: string) => `[{"key":"a","entrypoint":"ok"},{"key":"b","entrypoint":"ok","after":["a"]},{"key":"c","entrypoint":"ok",${c}}]`
    expect(await issuePath('/flows', flow('"dependsOn":[999998]'))).toMatchObject({ path: '2.dependsOn', message: expect.stringMatching(/^job #2: /) })
    const many = `"after":["a","b"],"dependsOn":[${Array.from({ length: 999 }, (_, i) => i + 1).join(',')}]`
    expect(await issuePath('/flows', flow(many))).toMatchObject({ path: '2.after', message: 'job #2: after and dependsOn name 1001 jobs together; at most 1000' })
    // The same key a thousand times over is one dependency.
    const ids = await post(app, '/flows', flow(`"after":[${Array(1001).fill('"a"').join(',')}]`))
    expect(ids.status).toBe(201)
    expect(await jobCount()).toBe(3)
  })

  it('answers a flow step keyed "__proto__" with its id, like any other key', async () => {
    const app = createQueueApi({ queue: testQueue(fixture.driver), token: 't' })
    const res = await post(app, '/flows', '[{"key":"__proto__","entrypoint":"ok"},{"key":"b","entrypoint":"ok","after":["__proto__"]}]')
    expect(res.status).toBe(201)
    const text = await res.text()
    const ids = Object.fromEntries(Array.from(text.matchAll(/"([^"]+)":(\d+)/g), (m) => [m[1], Number(m[2])]))
    expect(Object.keys(ids)).toEqual(['__proto__', 'b'])
    const rows = await withPgClient(fixture.db.url, async (c) => (await c.query<{ id: string; depends_on: string[] | null }>('select id, depends_on from pgq.jobs order by id')).rows)
    expect(rows.map((r) => Number(r.id))).toEqual([ids.__proto__, ids.b])
  })
})

describe('answers that quote nothing the client sent', () => {
  it.each([
    ['a string for a number', '{"entrypoint":"ok","priority":"hunter2-secret"}', 'priority', 'must be a number, not a string'],
    ['a number for a string', '{"entrypoint":"ok","dedupeKey":4111111111111111}', 'dedupeKey', 'must be a string, not a number'],
    ['an object for an array', '{"entrypoint":"ok","dependsOn":{"card":"4111"}}', 'dependsOn', 'must be an array, not an object'],
  ])('%s: says what to send, not what came', async (_what, body, path, message) => {
    const res = await post(createQueueApi({ queue: testQueue(fixture.driver), token: 't' }), '/jobs', body)
    expect(res.status).toBe(400)
    const text = await res.text()
    expect(JSON.parse(text).issues).toContainEqual({ path, message })
    expect(text).not.toMatch(/hunter2|4111/)
  })

  it('a payload number a double cannot hold is refused without its digits', async () => {
    const res = await post(createQueueApi({ queue: testQueue(fixture.driver), token: 't' }), '/jobs', '{"entrypoint":"ok","payload":{"card":4111111111111111111}}')
    expect(res.status).toBe(400)
    const text = await res.text()
    expect(JSON.parse(text).issues).toContainEqual({ path: 'payload.card', message: expect.stringContaining('send it as a string') })
    expect(text).not.toContain('41111')
  })

  it('an unknown route is a JSON 404 behind the token', async () => {
    const app = createQueueApi({ queue: testQueue(fixture.driver), token: 't' })
    expect((await app.request('/nope')).status).toBe(401)
    for (const [method, path] of [['GET', '/jobs'], ['DELETE', '/jobs/5'], ['GET', '/drain']] as const) {
      const res = await app.request(path, { method, headers: bearer('t') })
      expect(res.status).toBe(404)
      expect(await res.json()).toEqual({ error: 'not_found', message: `no route ${method} ${path}: see the README's table of routes` })
    }
  })
})
