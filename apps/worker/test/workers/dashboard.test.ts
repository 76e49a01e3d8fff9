// The dashboard inside workerd: the same pages as on Node, over the per-request Neon Pool.
// Every entrypoint has a row (the Worker's queue stores their policies), jobs or not.
import { exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { TOKEN } from './helpers.js'

const page = async (path: string, headers: Record<string, string> = {}) => {
  const res = await exports.default.fetch(`https://worker.test${path}`, { headers })
  return { status: res.status, type: res.headers.get('content-type'), html: await res.text() }
}

describe('dashboard', () => {
  it('renders the overview with the bearer token, a row per entrypoint; refuses without it', async () => {
    const overview = await page('/dashboard', { authorization: `Bearer ${TOKEN}` })
    expect(overview.status).toBe(200)
    expect(overview.type).toContain('text/html')
    for (const name of ['greet', 'flaky', 'broken', 'slow', 'report']) expect(overview.html).toContain(`<tr data-entrypoint="${name}">`)
    expect(overview.html).toMatch(/<svg class="chart"/)

    const refused = await page('/dashboard')
    expect(refused.status).toBe(401)
    expect(refused.html).toContain('action="/dashboard/login"')
  })
  it('logs in with the token (Web Crypto signs the session): a Secure cookie that opens the pages', async () => {
    const login = await exports.default.fetch('https://worker.test/dashboard/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://worker.test' },
      body: new URLSearchParams({ token: TOKEN }).toString(),
      redirect: 'manual',
    })
    expect(login.status).toBe(303)
    const cookie = login.headers.get('set-cookie') ?? ''
    expect(cookie).toMatch(/^pgq_dashboard=.+; HttpOnly; Secure; SameSite=Strict$/)
    const overview = await page('/dashboard', { cookie: cookie.split(';')[0]! })
    expect(overview.status).toBe(200)
    expect(overview.html).toContain('<tr data-entrypoint="greet">')
    expect((await page('/dashboard', { cookie: `${cookie.split(';')[0]!}x` })).status).toBe(401)
  })
})
