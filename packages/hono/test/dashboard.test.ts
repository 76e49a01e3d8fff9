// The dashboard through app.request(): auth (bearer, login cookie, never open), what the pages
// show for seeded jobs, CSRF on every action, and 400s for parameters out of bounds.
import { ConfigurationError, createQueue, type Job } from '@pgq/core'
import { Hono } from 'hono'
import { beforeAll, describe, expect, it } from 'vitest'
import { createDashboard, createQueueApi } from '../src/index.js'
import { bearer, useAppDatabase } from './support.js'

const TOKEN = 'dash-Token_1'
const ORIGIN = 'http://localhost'
const form = (fields: Record<string, string | string[]>) =>
  new URLSearchParams(Object.entries(fields).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => [k, x]))).toString()

/** The text of one cell of the overview's row for `entrypoint`. */
function cell(html: string, entrypoint: string, field: string): string | undefined {
  const row = new RegExp(`<tr data-entrypoint="${entrypoint}">(.*?)</tr>`, 's').exec(html)?.[1] ?? ''
  return new RegExp(`data-field="${field}">(.*?)</td>`, 's').exec(row)?.[1]?.replace(/<[^>]+>/g, '').trim()
}

/** What the dashboard sends on every answer: Hono's secureHeaders with its CSP, no HSTS (the operator's to set) and no framing. */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'DENY',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
}
const HTML = { 'content-type': 'text/html; charset=UTF-8', 'cache-control': 'no-store' }

/** The hidden fields of the POST form for `action`, unescaped, as the browser sends them. */
function formFields(html: string, action: string): Record<string, string[]> {
  const body = new RegExp(`<form method="post" action="${action}"[^>]*>(.*?)</form>`, 's').exec(html)?.[1]
  if (body === undefined) throw new Error(`no form posts to ${action}`)
  const text = (v: string) => v.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')
  const fields: Record<string, string[]> = {}
  for (const [, name, value] of body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) fields[name!] = [...(fields[name!] ?? []), text(value!)]
  return fields
}

/** The session cookie from a login answer, as a Cookie header value. */
function sessionCookie(res: Response): string {
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('pgq_dashboard='))
  if (!cookie) throw new Error('no session cookie was set')
  return cookie.split(';')[0]!
}

describe('dashboard', () => {
  const fixture = useAppDatabase('hono_dashboard')
  let queue: ReturnType<typeof seededQueue>
  const ids = {} as { held: number[]; dropped: number; queued: number; later: number; payload: number; answer: number; child: number }

  function seededQueue() {
    return createQueue({ driver: fixture.driver })
      .entrypoint('ok', async (_job: Job<unknown>) => undefined)
      .entrypoint('answer', async (_job: Job<unknown>) => ({ answer: 42 }))
      .entrypoint('fail', { maxAttempts: 1 }, async (_job: Job<unknown>) => {
        throw new Error('always fails')
      })
      .entrypoint('drop', { maxAttempts: 1, onFailure: 'delete' }, async (_job: Job<unknown>) => {
        throw new TypeError('bad input')
      })
      .schedule('ok', '0 3 1 1 *', { timezone: 'Europe/Paris' })
  }

  beforeAll(async () => {
    queue = seededQueue()
    ids.held = await queue.enqueueMany([
      { entrypoint: 'fail', payload: 1 },
      { entrypoint: 'fail', payload: 2 },
    ])
    ids.dropped = await queue.enqueue('drop', null)
    await queue.enqueueMany([{ entrypoint: 'ok', payload: 'a' }, { entrypoint: 'ok', payload: 'b' }])
    ids.answer = await queue.enqueue('answer', null)
    await queue.drain({ timeBudget: '10s' })
    ids.queued = await queue.enqueue('ok', null, { dedupeKey: 'nightly-2030' })
    ids.later = await queue.enqueue('ok', null, { delay: '1h' })
    ids.payload = await queue.enqueue('ok', { html: '<script>alert(1)</script>' }, { headers: { trace: 'x"y' }, delay: '2h' })
    ids.child = await queue.enqueue('ok', null, { dependsOn: [ids.later] })
  })

  const app = () => createQueueApi({ queue, token: TOKEN, dashboard: true })
  const get = (path: string, headers: Record<string, string> = bearer(TOKEN)) => app().request(path, { headers })
  const post = (path: string, fields: Record<string, string | string[]>, headers: Record<string, string>) =>
    app().request(path, { method: 'POST', body: form(fields), headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN, ...headers } })

  async function login(): Promise<{ cookie: string; csrf: string }> {
    const res = await post('/dashboard/login', { token: TOKEN }, {})
    const cookie = sessionCookie(res)
    const html = await (await get('/dashboard', { cookie })).text()
    return { cookie, csrf: /name="_csrf" value="([^"]+)"/.exec(html)![1]! }
  }

  describe('auth', () => {
    it('refuses without a token or session (401, the login form), and with a wrong token', async () => {
      const none = await get('/dashboard', {})
      expect(none.status).toBe(401)
      const html = await none.text()
      expect(html).toContain('<form method="post" action="/dashboard/login"')
      expect(html).not.toContain('data-entrypoint')
      for (const authorization of ['Bearer wrong', 'Bearer', `Basic ${TOKEN}`]) {
        const res = await get('/dashboard/failures', { authorization })
        expect(res.status, authorization).toBe(401)
        expect(await res.text()).toContain('Wrong token.')
      }
      expect((await get('/dashboard/jobs/1', { cookie: 'pgq_dashboard=forged.value' })).status).toBe(401)
      expect((await get('/dashboard')).status).toBe(200)
    })

    it('logs in with the token: an HttpOnly, SameSite=Strict session cookie on the mount path, Secure over https', async () => {
      const wrong = await post('/dashboard/login', { token: 'nope' }, {})
      expect(wrong.status).toBe(401)
      expect(wrong.headers.getSetCookie()).toEqual([])
      const res = await post('/dashboard/login', { token: TOKEN }, {})
      expect(res.status).toBe(303)
      expect(res.headers.get('location')).toBe('/dashboard')
      const [set] = res.headers.getSetCookie()
      expect(set).toMatch(/^pgq_dashboard=[^;]+; Max-Age=43200; Path=\/dashboard; HttpOnly; SameSite=Strict$/)
      expect(set).not.toContain(TOKEN)
      const page = await get('/dashboard', { cookie: sessionCookie(res) })
      expect(page.status).toBe(200)
      expect(await page.text()).not.toContain(TOKEN)

      const https = await app().request('https://ops.example/dashboard/login', {
        method: 'POST',
        body: form({ token: TOKEN }),
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://ops.example' },
      })
      expect(https.headers.getSetCookie()[0]).toContain('; Secure')
    })

    it('logs out (clearing the cookie) and ends expired sessions', async () => {
      const { cookie, csrf } = await login()
      const out = await post('/dashboard/logout', { _csrf: csrf }, { cookie })
      expect(out.status).toBe(303)
      expect(out.headers.get('location')).toBe('/dashboard/login')
      expect(out.headers.getSetCookie()[0]).toMatch(/^pgq_dashboard=; Max-Age=0; Path=\/dashboard/)

      const short = createQueueApi({ queue, token: TOKEN, dashboard: { sessionTtl: 1 } })
      const res = await short.request('/dashboard/login', { method: 'POST', body: form({ token: TOKEN }), headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN } })
      const expired = await short.request('/dashboard', { headers: { cookie: sessionCookie(res) } })
      expect(expired.status).toBe(401)
      expect(await expired.text()).toContain('expired')
    })

    it('is never open: no token configured answers 500 on every page, the login too', async () => {
      const app = createQueueApi<{ TOKEN?: string }>({ queue, tokenFrom: (env) => env.TOKEN, dashboard: true })
      for (const path of ['/dashboard', '/dashboard/login', '/dashboard/failures']) {
        const res = await app.request(path, { headers: bearer('anything') }, {})
        expect(res.status, path).toBe(500)
        expect(await res.text()).toContain('no API token is configured on the server')
      }
    })

    it('leaves the API as it was: bearer only, and no dashboard unless asked for', async () => {
      const { cookie } = await login()
      expect((await app().request('/stats', { headers: { cookie } })).status).toBe(401)
      expect((await app().request('/stats', { headers: bearer(TOKEN) })).status).toBe(200)
      const plain = createQueueApi({ queue, token: TOKEN })
      const res = await plain.request('/dashboard', { headers: bearer(TOKEN) })
      expect(res.status).toBe(404)
      expect(res.headers.get('content-type')).not.toContain('text/html')
    })
  })

  describe('pages', () => {
    it('overview: counts per entrypoint and status, the window, and an SVG chart', async () => {
      const res = await get('/dashboard?window=6h')
      expect(res.status).toBe(200)
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'")
      const html = await res.text()
      expect(html.startsWith('<!doctype html>')).toBe(true)
      expect([cell(html, 'ok', 'queued'), cell(html, 'ok', 'scheduled'), cell(html, 'ok', 'held'), cell(html, 'ok', 'succeeded')]).toEqual(['1', '2', '0', '2'])
      expect([cell(html, 'fail', 'queued'), cell(html, 'fail', 'held'), cell(html, 'fail', 'failed')]).toEqual(['0', '2', '2'])
      expect(cell(html, 'drop', 'failed')).toBe('1')
      expect(html).toContain('<option value="6h" selected="">last 6h</option>')
      expect(html).toMatch(/<svg class="chart"[^>]*aria-label="Jobs finished per interval"/)
      expect(html).toContain('<polyline points=')
    })

    it('failures: one row per fingerprint with its count, held ones requeue-able, jobs behind a disclosure', async () => {
      const html = await (await get('/dashboard/failures')).text()
      const rows = [...html.matchAll(/<tr data-fingerprint="([^"]+)">.*?data-field="count">(\d+)<.*?data-field="held">(\d+)</gs)].map((m) => m.slice(1))
      expect(rows).toHaveLength(2)
      expect(rows[0]).toEqual([expect.stringMatching(/^Error at /), '2', '2'])
      expect(rows[1]).toEqual([expect.stringMatching(/^TypeError at /), '1', '0'])
      expect(html).toContain('Requeue 2 held')
      for (const id of [...ids.held, ids.dropped]) expect(html).toContain(`href="/dashboard/jobs/${id}"`)
      expect(html).toContain('always fails')

      const dropped = await (await get('/dashboard/failures?held=dropped&entrypoint=drop&within=1h&limit=5')).text()
      expect(dropped.match(/<tr data-fingerprint=/g)).toHaveLength(1)
      expect(dropped).toContain('bad input')
    })

    it('jobs: by id or dedupe key; payload and headers escaped, history with tracebacks', async () => {
      const page = await (await get(`/dashboard/jobs/${ids.payload}`)).text()
      expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
      expect(page).not.toContain('<script>')
      expect(page).toContain('&quot;trace&quot;: &quot;x\\&quot;y&quot;')

      const held = await (await get(`/dashboard/jobs/${ids.held[0]}`)).text()
      expect(held).toContain('<dd data-field="status">failed</dd>')
      expect(held).toContain('<strong>Error</strong>: always fails')
      expect(held).toContain(`action="/dashboard/jobs/${ids.held[0]}/requeue"`)
      expect(held).not.toContain('/cancel"')

      const byKey = await get('/dashboard/jobs?key=nightly-2030')
      expect(byKey.status).toBe(302)
      expect(byKey.headers.get('location')).toBe(`/dashboard/jobs/${ids.queued}`)
      expect((await get(`/dashboard/jobs?id=${ids.queued}`)).headers.get('location')).toBe(`/dashboard/jobs/${ids.queued}`)
      expect((await get('/dashboard/jobs?key=no-such-key')).status).toBe(404)
      expect((await get('/dashboard/jobs/987654')).status).toBe(404)
    })

    it('jobs: the result of a finished job, and what a blocked job waits for', async () => {
      const answered = await (await get(`/dashboard/jobs/${ids.answer}`)).text()
      expect(answered).toContain('<dd data-field="status">successful</dd>')
      expect(answered).toMatch(/<pre data-field="result">\{\s*&quot;answer&quot;: 42\s*\}<\/pre>/)
      const blocked = await (await get(`/dashboard/jobs/${ids.child}`)).text()
      expect(blocked).toContain('<dd data-field="status">blocked</dd>')
      expect(blocked).toContain(`href="/dashboard/jobs/${ids.later}"`)
    })

    it('schedules: expression, timezone, next run, not overdue', async () => {
      const html = await (await get('/dashboard/schedules')).text()
      const row = /<tr data-entrypoint="ok">(.*?)<\/tr>/s.exec(html)?.[1] ?? ''
      expect(row).toContain('<code>0 3 1 1 *</code>')
      expect(row).toContain('Europe/Paris')
      expect(row).toMatch(/<time datetime="\d{4}-01-01T02:00:00.000Z"/)
      expect(row).not.toContain('overdue</span>')
    })

    it('sends its security headers without HSTS and with X-Frame-Options DENY: on pages, refusals, errors and redirects', async () => {
      // Before: Strict-Transport-Security: max-age=15552000; includeSubDomains (over http too) and X-Frame-Options: SAMEORIGIN.
      expect(Object.fromEntries((await get('/dashboard')).headers)).toEqual({ ...SECURITY_HEADERS, ...HTML })
      expect(Object.fromEntries((await get('/dashboard', {})).headers)).toEqual({ ...SECURITY_HEADERS, ...HTML, 'www-authenticate': 'Bearer realm="pgq"' })
      expect(Object.fromEntries((await get('/dashboard?window=soon')).headers)).toEqual({ ...SECURITY_HEADERS, ...HTML })
      const login = await post('/dashboard/login', { token: TOKEN }, {})
      expect(login.status).toBe(303)
      expect(login.headers.get('strict-transport-security')).toBeNull()
      expect(login.headers.get('x-frame-options')).toBe('DENY')
      // Over https as well: HSTS stays the operator's (or their proxy's) to send for the domain.
      expect((await app().request('https://ops.example/dashboard', { headers: bearer(TOKEN) })).headers.get('strict-transport-security')).toBeNull()
    })

    it('serves its icon without a session (even with no token configured), and links it from every page', async () => {
      // Before: no icon, so browsers asked for /favicon.ico and the API's bearer auth answered 401.
      const unconfigured = createQueueApi<{ TOKEN?: string }>({ queue, tokenFrom: (env) => env.TOKEN, dashboard: true })
      for (const served of [app(), unconfigured]) {
        const res = await served.request('/dashboard/favicon.svg', {}, {})
        expect(res.status).toBe(200)
        expect(Object.fromEntries(res.headers)).toEqual({ ...SECURITY_HEADERS, 'content-type': 'image/svg+xml', 'cache-control': 'public, max-age=604800' })
        expect(await res.text()).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 16 16">.*<\/svg>$/)
      }
      const link = '<link rel="icon" type="image/svg+xml" href="/dashboard/favicon.svg"/>'
      for (const res of [await get('/dashboard'), await get('/dashboard', {}), await get('/dashboard/jobs/987654'), await unconfigured.request('/dashboard', {}, {})]) {
        expect(await res.text()).toContain(link)
      }
      const own = new Hono().route('/ops/queue', createDashboard({ queue, token: TOKEN }))
      expect(await (await own.request('/ops/queue/login')).text()).toContain('href="/ops/queue/favicon.svg"')
      expect((await own.request('/ops/queue/favicon.svg')).status).toBe(200)
    })

    it('follows the mount path when mounted on your own app', async () => {
      const own = new Hono().route('/ops/queue', createDashboard({ queue, token: TOKEN }))
      const html = await (await own.request('/ops/queue/failures', { headers: bearer(TOKEN) })).text()
      expect(html).toContain('href="/ops/queue/schedules"')
      expect(html).toContain(`href="/ops/queue/jobs/${ids.dropped}"`)
      expect((await own.request('/ops/queue/', { headers: bearer(TOKEN) })).headers.get('location')).toBe('/ops/queue')
    })
  })

  it('createDashboard refuses unknown options (path is createQueueApi\'s), and both or neither of queue and queueFor', () => {
    const queueFor = () => ({ queue, end: async () => undefined })
    const refusals: [unknown, string][] = [
      [{ queue, token: TOKEN, path: '/ops' }, 'unknown createDashboard option "path"; known: queue, queueFor, token, tokenFrom, sessionTtl, secureCookie, origin'],
      [{ queue, token: TOKEN, sessionTTL: '8h' }, 'unknown createDashboard option "sessionTTL"'],
      [{ queue, queueFor, token: TOKEN }, 'createDashboard needs { queue } or { queueFor: (env) => ({ queue, end }) }, not both'],
      [{ token: TOKEN }, 'createDashboard needs { queue } or { queueFor: (env) => ({ queue, end }) }'],
      [{ queueFor: queue, token: TOKEN }, 'createDashboard queueFor must be a function'],
      ['yes', 'createDashboard options must be an object'],
      [{ queue, token: TOKEN, tokenFrom: () => TOKEN }, 'createDashboard takes { token } or { tokenFrom: (env) => the token }, not both'],
      [{ queue, tokenFrom: 5 }, 'createDashboard tokenFrom must be a function'],
      [{ queue: {}, token: TOKEN }, 'createDashboard needs a queue from createQueue() or createProducer(); this one has no overview,'],
      // A string from an env var would set Secure over http, and the login would never stick.
      [{ queue, token: TOKEN, secureCookie: 'false' }, 'dashboard secureCookie must be true or false'],
      [{ queue, token: TOKEN, origin: 'ops.example.com' }, 'dashboard origin must be an origin such as'],
      [{ queue, token: TOKEN, origin: ['https://ops.example.com/'] }, 'dashboard origin must be an origin such as'],
      [{ queue, token: TOKEN, origin: 5 }, 'dashboard origin must be an origin such as'],
    ]
    for (const [options, message] of refusals) {
      expect(() => createDashboard(options as never), message).toThrow(ConfigurationError)
      expect(() => createDashboard(options as never), message).toThrow(message)
    }
    expect(() => createDashboard({ queueFor, tokenFrom: () => TOKEN, sessionTtl: '8h', secureCookie: false, origin: [ORIGIN] })).not.toThrow()
    // An unset env var's token beside tokenFrom is no token given: tokenFrom is read.
    expect(() => createDashboard({ queue, token: undefined, tokenFrom: () => TOKEN } as never)).not.toThrow()
  })

  describe('actions', () => {
    it('refuses a POST without the form token or from another origin (403), and changes nothing', async () => {
      const { cookie, csrf } = await login()
      const target = { ids: ids.held.map(String) }
      const attempts = [
        post('/dashboard/failures/requeue', target, { cookie }),
        post('/dashboard/failures/requeue', { ...target, _csrf: 'x'.repeat(csrf.length) }, { cookie }),
        post('/dashboard/failures/requeue', { ...target, _csrf: csrf }, { cookie, origin: 'https://evil.example' }),
        post('/dashboard/entrypoints/pause', { entrypoint: 'ok', _csrf: csrf }, { cookie, origin: 'null' }),
        // The bearer-rendered pages' token belongs to no cookie session.
        post('/dashboard/entrypoints/pause', { entrypoint: 'ok', _csrf: await bearerCsrf() }, { cookie }),
        app().request('/dashboard/entrypoints/pause', { method: 'POST', body: JSON.stringify({ entrypoint: 'ok', _csrf: csrf }), headers: { cookie, 'content-type': 'application/json' } }),
      ]
      for (const [i, res] of (await Promise.all(attempts)).entries()) expect(res.status, `attempt ${i}`).toBe(403)
      expect((await queue.status(ids.held)).map((s) => s.status)).toEqual(['failed', 'failed'])
      expect((await queue.overview()).find((e) => e.entrypoint === 'ok')?.paused).toBe(false)
    })

    it('answers a form it cannot read (malformed multipart) with a 400 page, logged in or not', async () => {
      const { cookie } = await login()
      const garbage = (path: string, headers: Record<string, string>) =>
        app().request(path, { method: 'POST', body: 'garbage', headers: { origin: ORIGIN, 'content-type': 'multipart/form-data; boundary=zz', ...headers } })
      // Before, each was a 500 and an error line in the server's log.
      for (const [path, headers] of [['/dashboard/login', {}], ['/dashboard/failures/requeue', { cookie }]] as const) {
        const res = await garbage(path, headers)
        expect(res.status, path).toBe(400)
        expect(await res.text()).toContain('The form could not be read')
      }
    })

    it('pauses and resumes an entrypoint, redirecting back with a flash shown once', async () => {
      const { cookie, csrf } = await login()
      const paused = await post('/dashboard/entrypoints/pause', { entrypoint: 'ok', _csrf: csrf }, { cookie })
      expect(paused.status).toBe(303)
      expect(paused.headers.get('location')).toBe('/dashboard')
      const flash = paused.headers.getSetCookie().find((c) => c.startsWith('pgq_flash='))!.split(';')[0]!
      const html = await (await get('/dashboard', { cookie: `${cookie}; ${flash}` })).text()
      expect(html).toContain('Paused ok: no worker claims its jobs')
      expect(cell(html, 'ok', 'state')).toContain('paused')
      expect((await post('/dashboard/entrypoints/resume', { entrypoint: 'ok', _csrf: csrf }, { cookie })).status).toBe(303)
      expect((await queue.overview()).find((e) => e.entrypoint === 'ok')?.paused).toBe(false)
      expect((await post('/dashboard/entrypoints/pause', { entrypoint: 'typo', _csrf: csrf }, { cookie })).status).toBe(400)
    })

    it('returns to the page an action was posted from, with its filters', async () => {
      const { cookie, csrf } = await login()
      // Before, to a bare /dashboard/failures (and /dashboard): the filters were lost.
      const filtered = '/dashboard/failures?held=held&entrypoint=fail&limit=1000'
      const fields = formFields(await (await get(filtered, { cookie })).text(), '/dashboard/failures/requeue')
      expect({ ...fields, ids: fields.ids?.toSorted() }).toEqual({ _csrf: [csrf], back: [filtered], ids: ids.held.map(String).toSorted() })
      const requeued = await post('/dashboard/failures/requeue', fields, { cookie })
      expect(requeued.status).toBe(303)
      expect(requeued.headers.get('location')).toBe(filtered)
      const flash = requeued.headers.getSetCookie().find((c) => c.startsWith('pgq_flash='))!.split(';')[0]!
      const after = await (await get(filtered, { cookie: `${cookie}; ${flash}` })).text()
      expect(after).toContain('Requeued 2 of 2 held jobs.')
      expect(after).toContain('<option value="held" selected="">')
      expect((await queue.status(ids.held)).map((s) => s.status)).toEqual(['queued', 'queued'])

      const overview = formFields(await (await get('/dashboard?window=6h', { cookie })).text(), '/dashboard/entrypoints/pause')
      expect(overview.back).toEqual(['/dashboard?window=6h'])
      expect((await post('/dashboard/entrypoints/pause', { ...overview, entrypoint: 'ok' }, { cookie })).headers.get('location')).toBe('/dashboard?window=6h')
      expect((await post('/dashboard/entrypoints/resume', { ...overview, entrypoint: 'ok' }, { cookie })).headers.get('location')).toBe('/dashboard?window=6h')
    })

    it('never follows a back field off the dashboard: another site, another path, or a malformed one', async () => {
      const { cookie, csrf } = await login()
      const requeue = (back: string) => post('/dashboard/failures/requeue', { ids: [String(ids.dropped)], _csrf: csrf, back }, { cookie })
      const elsewhere = [
        'https://evil.example/dashboard',
        '//evil.example/dashboard',
        '/\\evil.example/dashboard',
        '\\\\evil.example/dashboard',
        '/\t/evil.example/dashboard',
        'javascript:alert(1)//dashboard',
        'dashboard/failures',
        '/dashboard/../stats',
        '/dashboard/%2e%2e/stats',
        '/dashboardx/failures',
        '/stats',
        '',
        `/dashboard/failures?held=${'x'.repeat(3000)}`,
      ]
      for (const back of elsewhere) {
        const res = await requeue(back)
        expect(res.status, back).toBe(303)
        expect(res.headers.get('location'), back).toBe('/dashboard/failures')
      }
      // A line break cannot reach the Location header: URLs drop it, and what is left is under the mount.
      expect((await requeue('/dashboard/failures?held=held\r\nSet-Cookie: a=b')).headers.get('location')).toBe('/dashboard/failures?held=heldSet-Cookie:%20a=b')

      // Mounted at the root, a path that resolves to `//host` is another site's too.
      const root = new Hono().route('/', createDashboard({ queue, token: TOKEN }))
      const rootCsrf = /name="_csrf" value="([^"]+)"/.exec(await (await root.request('/', { headers: bearer(TOKEN) })).text())![1]!
      const rootRequeue = (back: string) =>
        root.request('/failures/requeue', { method: 'POST', body: form({ ids: [String(ids.dropped)], _csrf: rootCsrf, back }), headers: { ...bearer(TOKEN), 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN } })
      for (const back of ['/.//evil.example/x', '//evil.example/x', '/%2e//evil.example/x']) expect((await rootRequeue(back)).headers.get('location'), back).toBe('/failures')
      expect((await rootRequeue('/failures?held=held')).headers.get('location')).toBe('/failures?held=held')
    })

    it('cancels a queued job and requeues a fingerprint group of held jobs', async () => {
      const { cookie, csrf } = await login()
      const cancel = await post(`/dashboard/jobs/${ids.later}/cancel`, { _csrf: csrf }, { cookie })
      expect(cancel.headers.get('location')).toBe(`/dashboard/jobs/${ids.later}`)
      expect((await queue.status([ids.later]))[0]?.status).toBe('canceled')

      const requeue = await post('/dashboard/failures/requeue', { ids: ids.held.map(String), _csrf: csrf }, { cookie })
      expect(requeue.status).toBe(303)
      expect(requeue.headers.get('location')).toBe('/dashboard/failures')
      expect((await queue.status(ids.held)).map((s) => s.status)).toEqual(['queued', 'queued'])
    })
  })

  it('answers 400 naming the parameter for values out of bounds', async () => {
    const cases: [string, string][] = [
      ['/dashboard?window=soon', 'window must be a duration'],
      ['/dashboard?window=1m', 'window must be from 5m to 7d'],
      ['/dashboard?window=30d', 'window must be from 5m to 7d'],
      ['/dashboard/failures?limit=0', 'limit must be an integer from 1 to 1000'],
      ['/dashboard/failures?limit=5000', 'limit must be an integer from 1 to 1000'],
      ['/dashboard/failures?held=maybe', 'held must be one of all, held, dropped'],
      [`/dashboard/failures?entrypoint=${'e'.repeat(200)}`, 'entrypoint must be at most 128 characters'],
      ['/dashboard/jobs/abc', 'id must be a job id'],
      ['/dashboard/jobs?id=1&key=k', 'id and key cannot both be given'],
      [`/dashboard/jobs?key=${'k'.repeat(600)}`, 'key must be at most 512 characters'],
    ]
    for (const [path, message] of cases) {
      const res = await get(path)
      expect(res.status, path).toBe(400)
      expect(await res.text(), path).toContain(message)
    }
    const { cookie, csrf } = await login()
    const tooMany = await post('/dashboard/failures/requeue', { ids: Array.from({ length: 1001 }, (_, i) => String(i + 1)), _csrf: csrf }, { cookie })
    expect(tooMany.status).toBe(400)
    expect(await tooMany.text()).toContain('ids must list at most 1000 job ids')
  })

  async function bearerCsrf(): Promise<string> {
    const html = await (await get('/dashboard')).text()
    return /name="_csrf" value="([^"]+)"/.exec(html)![1]!
  }
})
