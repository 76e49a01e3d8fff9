// 4. A Worker built by wrangler from the installed packages only, run inside workerd by
// `wrangler dev`, reaching Postgres with Neon's driver through the installed `pgq proxy`.
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { expect, it, onTestFinished } from 'vitest'
import { findFreePort } from '../../../packages/embedded/src/index.ts'
import { consumerEnv, run, startService } from './run.ts'
import { bin, expectSuccess, freshDatabase, pgqInstall, projectDir, repoRoot, scratchDir } from './support.ts'

const WRANGLER = path.join(repoRoot, 'node_modules/.bin/wrangler')
const workerDir = path.join(projectDir, 'worker')
const TOKEN = 'packed-test-token'

function wranglerEnv(): NodeJS.ProcessEnv {
  const env = consumerEnv({
    WRANGLER_SEND_METRICS: 'false',
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    NO_UPDATE_NOTIFIER: '1',
    WRANGLER_LOG_PATH: path.join(scratchDir, 'wrangler-logs'),
  })
  delete env.CLOUDFLARE_API_TOKEN
  return env
}

it('wrangler bundles the Worker from the consumer project only', async () => {
  const outdir = path.join(scratchDir, 'worker-build')
  const metafile = path.join(outdir, 'meta.json')
  const build = await run(WRANGLER, ['deploy', '--dry-run', '--outdir', outdir, '--metafile', metafile], { cwd: workerDir, env: wranglerEnv() })
  expectSuccess(build)
  const inputs = Object.keys((JSON.parse(await readFile(metafile, 'utf8')) as { inputs: Record<string, unknown> }).inputs)
  // Paths are relative to worker/: its own file, and the project's node_modules.
  expect(inputs.filter((p) => p !== 'worker.js' && !p.startsWith('../node_modules/'))).toEqual([])
  for (const input of ['../node_modules/@pgq/core/dist/edge.js', '../node_modules/@pgq/core/dist/driver/neon-serverless/index.js', '../node_modules/@pgq/hono/dist/index.js', '../node_modules/@pgq/hono/dist/workers.js', '../node_modules/@neondatabase/serverless/index.mjs']) {
    expect(inputs).toContain(input)
  }
})

it('enqueues over HTTP, drains with POST /drain and /__scheduled inside workerd', async () => {
  const db = await freshDatabase('worker')
  await pgqInstall(db)

  const proxy = await startService(bin('pgq'), ['proxy', '--database-url', db.url, '--listen', '127.0.0.1:0'], {
    cwd: projectDir,
    ready: /pgq proxy: listening on ws:\/\/127\.0\.0\.1:(\d+)/,
  })
  onTestFinished(() => proxy.stop())

  await writeFile(path.join(workerDir, '.dev.vars'), `DATABASE_URL=${db.url}\nPGQ_WS_PROXY=ws://127.0.0.1:${proxy.match[1]}\nPGQ_TOKEN=${TOKEN}\n`)
  // Two draws can give the same port (each is released before the next): wrangler then fails to bind.
  const port = await findFreePort()
  let inspectorPort = await findFreePort()
  while (inspectorPort === port) inspectorPort = await findFreePort()
  const wrangler = await startService(
    WRANGLER,
    ['dev', '--test-scheduled', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspectorPort)],
    { cwd: workerDir, env: wranglerEnv(), ready: /Ready on (http:\/\/127\.0\.0\.1:\d+)/, timeoutMs: 90_000 },
  )
  onTestFinished(() => wrangler.stop())
  const base = wrangler.match[1]!
  const logs = () => `wrangler dev output:\n${wrangler.output().slice(-3000)}`
  const call = async (method: string, route: string, body?: unknown) => {
    const response = await fetch(`${base}${route}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await response.text()
    return { status: response.status, body: response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text }
  }

  expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ ok: true })
  expect((await fetch(`${base}/runtime`)).status).toBe(401)
  expect(await call('GET', '/runtime'), logs()).toEqual({ status: 200, body: { userAgent: 'Cloudflare-Workers', process: 'undefined' } })

  const first = await call('POST', '/jobs', [...Array.from({ length: 20 }, (_, n) => ({ entrypoint: 'square', payload: { n } })), { entrypoint: 'boom' }])
  expect(first.status, logs()).toBe(201)
  expect(first.body.ids).toHaveLength(21)
  const drained = await call('POST', '/drain', {})
  expect(drained.status, logs()).toBe(200)
  expect(drained.body).toMatchObject({ claimed: 21, succeeded: 20, failed: 1, remaining: 0, stoppedBy: 'empty' })

  const second = await call('POST', '/jobs', Array.from({ length: 5 }, (_, n) => ({ entrypoint: 'square', payload: { n: 100 + n } })))
  expect(second.status).toBe(201)
  const from = wrangler.output().length
  const scheduled = await fetch(`${base}/__scheduled?cron=*+*+*+*+*`)
  expect(scheduled.status, logs()).toBe(200)
  await wrangler.waitFor(/pgq tick \(\* \* \* \* \*\): 0 schedule\(s\) fired, \{"claimed":5,"succeeded":5,"failed":0,"retried":0,"remaining":0/, { from })

  const ids = [...first.body.ids, ...second.body.ids] as number[]
  const rows = await db.query<{ job_id: number; status: string; message: string | null }>(
    `select job_id::int, status::text, traceback->>'message' as message from pgq.log where job_id = any($1) order by job_id`,
    [ids],
  )
  const boomId = ids[20]
  expect(rows.filter((r) => r.status === 'successful').map((r) => r.job_id)).toEqual(ids.filter((id) => id !== boomId))
  expect(rows.filter((r) => r.status !== 'successful')).toEqual([{ job_id: boomId, status: 'failed', message: 'boom inside Cloudflare-Workers' }])
  // Only the failed job is held in the queue; the rest finished.
  expect(await db.query('select id::int, status::text from pgq.jobs')).toEqual([{ id: boomId, status: 'failed' }])

  // SIGTERM stops both: wrangler (and its workerd), then the proxy, which closes cleanly.
  await wrangler.stop()
  await proxy.stop()
  expect(proxy.child.exitCode, proxy.output()).toBe(0)
  expect(proxy.output()).toContain('pgq proxy: SIGTERM: closed')
})
