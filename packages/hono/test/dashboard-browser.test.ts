// The dashboard in a real Chromium, served on Node: log in, find the failure group, requeue it,
// drain, see the job succeed; and read the counts with JavaScript off. Saves the screenshots
// the README shows (docs/screenshots/dashboard-*.png).
import { mkdirSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { serve } from '@hono/node-server'
import { createQueue, type Job } from '@pgq/core'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createQueueApi } from '../src/index.js'
import { useAppDatabase } from './support.js'

const TOKEN = 'browser-token'
const SCREENSHOTS = path.resolve(import.meta.dirname, '../../../docs/screenshots')

describe('dashboard in Chromium', () => {
  const fixture = useAppDatabase('hono_dashboard_browser')
  const flag = { fixed: false }
  let queue: ReturnType<typeof makeQueue>
  let browser: Browser
  let server: ReturnType<typeof serve>
  let url: string

  function makeQueue() {
    return createQueue({ driver: fixture.driver })
      .entrypoint('send-invoice', async (_job: Job<{ invoice: number }>) => undefined)
      .entrypoint('charge-card', { maxAttempts: 1 }, async (_job: Job<{ invoice: number; customer: string }>) => {
        if (!flag.fixed) throw new Error('payment provider rejected the API version')
      })
      .entrypoint('render-pdf', { maxAttempts: 1, onFailure: 'delete' }, async (_job: Job<unknown>) => {
        throw new TypeError("Cannot read properties of undefined (reading 'pages')")
      })
      .schedule('send-invoice', '0 6 * * 1', { timezone: 'Europe/Berlin' })
  }

  beforeAll(async () => {
    queue = makeQueue()
    const app = createQueueApi({ queue, token: TOKEN, dashboard: true })
    server = await new Promise((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s))
    })
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] })
    mkdirSync(SCREENSHOTS, { recursive: true })
  })

  afterAll(async () => {
    await browser?.close()
    await new Promise((resolve) => server?.close(resolve))
  })

  /** What the browser logged as errors, and every answer it got, on `page` from now on. */
  function watch(page: Page) {
    const seen = { errors: [] as string[], responses: [] as { url: string; status: number; type: string | undefined }[] }
    page.on('console', (m) => {
      if (m.type() === 'error') seen.errors.push(`${m.text()} (${m.location().url})`)
    })
    page.on('pageerror', (e) => seen.errors.push(e.message))
    page.on('response', (r) => void seen.responses.push({ url: r.url(), status: r.status(), type: r.headers()['content-type'] }))
    return seen
  }

  /**
   * No console errors but the login page's own 401 (the refusal logIn expects); before, every
   * page added the 401 of /favicon.ico. The dashboard's own icon is served instead.
   */
  async function expectCleanConsole(page: Page, seen: ReturnType<typeof watch>) {
    await expect.poll(() => seen.responses.filter((r) => r.url === `${url}/dashboard/favicon.svg`)).toContainEqual({ url: `${url}/dashboard/favicon.svg`, status: 200, type: 'image/svg+xml' })
    await page.close()
    expect(seen.errors).toEqual([`Failed to load resource: the server responded with a status of 401 (Unauthorized) (${url}/dashboard)`])
    expect(seen.responses.filter((r) => r.url.endsWith('/favicon.ico'))).toEqual([])
  }

  async function logIn(page: Page) {
    const refused = await page.goto(`${url}/dashboard`)
    expect(refused?.status()).toBe(401)
    await page.getByLabel('API token').fill(TOKEN)
    await Promise.all([page.waitForURL(`${url}/dashboard`), page.getByRole('button', { name: 'Log in' }).click()])
  }

  /** Which failure group (in page order) mentions `text`. */
  const groupIndex = async (page: Page, text: string) => (await page.locator('tr[data-fingerprint]').allInnerTexts()).findIndex((t) => t.includes(text))

  const count = (page: Page, entrypoint: string, field: string) => page.locator(`tr[data-entrypoint="${entrypoint}"] td[data-field="${field}"]`).innerText()

  it('logs in, requeues the failure group, and shows the job succeed after the next drain', async () => {
    const [chargeId] = await queue.enqueueMany([
      { entrypoint: 'charge-card', payload: { invoice: 1042, customer: 'Ada Lovelace' }, headers: { traceparent: '00-4bf92f3577b34da6-00f067aa0ba902b7-01' } },
      ...Array.from({ length: 12 }, (_, i) => ({ entrypoint: 'send-invoice' as const, payload: { invoice: 1000 + i } })),
      { entrypoint: 'render-pdf', payload: { invoice: 1042 } },
    ])
    expect((await queue.drain({ timeBudget: '10s' })).failed).toBe(2)
    await queue.enqueueMany([{ entrypoint: 'send-invoice', payload: { invoice: 2000 } }, { entrypoint: 'send-invoice', payload: { invoice: 2001 }, delay: '10m' }])

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    const seen = watch(page)
    await logIn(page)
    expect(await count(page, 'charge-card', 'held')).toBe('1')
    // As sent over HTTP: no HSTS for the operator's domain, no framing.
    const headers = await (await page.reload())!.allHeaders()
    expect(headers['strict-transport-security']).toBeUndefined()
    expect(headers['x-frame-options']).toBe('DENY')
    await page.screenshot({ path: path.join(SCREENSHOTS, 'dashboard-overview.png'), fullPage: true })

    await Promise.all([page.waitForURL(`${url}/dashboard/failures`), page.getByRole('link', { name: 'Failures' }).click()])
    const group = page.locator('tr[data-fingerprint]', { hasText: 'payment provider rejected the API version' })
    expect(await group.locator('td[data-field="count"]').innerText()).toBe('1')
    const jobs = page.locator('tr.group-jobs').nth(await groupIndex(page, 'payment provider'))
    await jobs.locator('summary').first().click()
    await page.screenshot({ path: path.join(SCREENSHOTS, 'dashboard-failures.png'), fullPage: true })

    // The held job's page, from the group: payload, headers, its traceback, the Requeue button.
    await Promise.all([page.waitForURL(`${url}/dashboard/jobs/${chargeId}`), jobs.getByRole('link', { name: `#${chargeId}` }).click()])
    expect(await page.locator('dd[data-field="status"]').innerText()).toBe('failed')
    expect(await page.locator('pre[data-field="payload"]').innerText()).toContain('"customer": "Ada Lovelace"')
    await page.screenshot({ path: path.join(SCREENSHOTS, 'dashboard-job.png'), fullPage: true })

    // Requeued from a filtered view, the page comes back with its filters (before: a bare /dashboard/failures).
    const filtered = `${url}/dashboard/failures?held=held&entrypoint=charge-card&limit=1000`
    await page.goto(filtered)
    await Promise.all([page.waitForURL(filtered), group.getByRole('button', { name: 'Requeue 1 held' }).click()])
    await expect.poll(() => page.getByRole('status').innerText()).toContain('Requeued 1 of 1 held job.')
    expect(await page.getByLabel('Entrypoint').inputValue()).toBe('charge-card')
    expect(await page.locator('tr[data-fingerprint]', { hasText: 'payment provider' }).count()).toBe(0)

    flag.fixed = true
    expect((await queue.drain({ timeBudget: '10s' })).succeeded).toBeGreaterThanOrEqual(2)
    await page.goto(`${url}/dashboard/jobs/${chargeId}`)
    expect(await page.locator('dd[data-field="status"]').innerText()).toBe('successful')
    expect(await page.locator('#history').innerText()).toContain('payment provider rejected the API version')
    await page.goto(`${url}/dashboard/schedules`)
    await expectCleanConsole(page, seen)
  }, 60_000)

  it('logs in and reads the counts with JavaScript disabled', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false })
    const page = await context.newPage()
    const seen = watch(page)
    await logIn(page)
    const overview = await queue.overview()
    const invoices = overview.find((e) => e.entrypoint === 'send-invoice')!
    expect(await count(page, 'send-invoice', 'queued')).toBe(String(invoices.queued))
    expect(await count(page, 'send-invoice', 'scheduled')).toBe('1')
    expect(await count(page, 'render-pdf', 'failed')).toBe('1')
    await expectCleanConsole(page, seen)
    await context.close()
  }, 60_000)
})
