// `npm start`: PostgreSQL (embedded unless DATABASE_URL), the schema, this app's Node
// deployment in a child process, then a client that prints each curl command and runs it.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { migrate, withPgClient } from '@pgq/core'
import { findFreePort, startEmbeddedPostgres } from '@pgq/embedded'

const say = (text: string) => console.log(`demo   │ ${text}`)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const FINAL = ['successful', 'exception', 'failed', 'canceled']

const embedded = process.env.DATABASE_URL ? undefined : await startEmbeddedPostgres()
const databaseUrl = process.env.DATABASE_URL ?? embedded!.url
say(embedded ? `embedded PostgreSQL started in ${embedded.timings.totalMs} ms` : 'using DATABASE_URL')
const installed = await withPgClient(databaseUrl, (c) => migrate(c))
say(`schema "pgq": ${installed.applied.length ? `applied ${installed.applied.join(', ')}` : 'up to date'}`)

const port = Number(process.env.PORT ?? (await findFreePort()))
const token = randomBytes(12).toString('hex')
const base = `http://127.0.0.1:${port}`
let serverOutput = ''
const server = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./node.ts', import.meta.url))], {
  cwd: fileURLToPath(new URL('..', import.meta.url)),
  // The demo's `report` schedule fires every 5 seconds instead of every minute.
  env: { ...process.env, DATABASE_URL: databaseUrl, PGQ_TOKEN: token, PORT: String(port), PGQ_REPORT_CRON: '*/5 * * * * *' },
  stdio: ['ignore', 'pipe', 'inherit'],
})
server.stdout.on('data', (chunk: Buffer) => {
  serverOutput += chunk
  for (const line of chunk.toString().trimEnd().split('\n')) console.log(`server │ ${line}`)
})
const exited = new Promise<number | null>((resolve) => server.once('exit', resolve))
const waitForServer = async (pattern: RegExp, timeoutMs: number) => {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(50)) {
    const match = pattern.exec(serverOutput)
    if (match) return match
  }
  throw new Error(`the server did not print ${pattern} within ${timeoutMs} ms`)
}

/** The fields of the API's answers this demo reads. */
interface Answer {
  id: number
  ids: number[]
  status: string
  traceback: { name: string; message: string } | null
}

/** Prints the curl command for a request, sends it, prints the answer. */
async function curl(method: string, path: string, body?: unknown, { auth = true, quiet = false } = {}): Promise<Answer> {
  const headers: Record<string, string> = auth ? { authorization: `Bearer ${token}` } : {}
  if (body !== undefined) headers['content-type'] = 'application/json'
  const flags = [method === 'GET' ? '' : `-X ${method} `, ...Object.entries(headers).map(([k, v]) => `-H '${k}: ${v}' `), body === undefined ? '' : `-d '${JSON.stringify(body)}' `]
  if (!quiet) say(`$ curl -s ${flags.join('')}${base}${path}`)
  const response = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const json = (await response.json()) as Answer
  if (!quiet) say(`  → ${response.status} ${JSON.stringify(json)}`)
  return json
}

try {
  await waitForServer(/listening on/, 20_000)
  await curl('GET', '/healthz', undefined, { auth: false })
  await curl('GET', '/stats', undefined, { auth: false })
  const { ids } = await curl('POST', '/jobs', [
    { entrypoint: 'greet', payload: { name: 'Ada' } },
    { entrypoint: 'greet', payload: { name: 'Grace' }, priority: 10 },
    { entrypoint: 'flaky', payload: {} },
    { entrypoint: 'broken', payload: { file: 'report.csv' } },
  ])
  const slow = await curl('POST', '/jobs', { entrypoint: 'slow', payload: { seconds: 30 }, dedupeKey: 'nightly-export' })
  await curl('POST', '/jobs', { entrypoint: 'slow', payload: { seconds: 30 }, dedupeKey: 'nightly-export' })
  await waitForServer(new RegExp(`started   #${slow.id} slow`), 5_000)
  await curl('POST', `/jobs/${slow.id}/cancel`)

  const all = [...ids, slow.id]
  let states: Answer[] = []
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(200)) {
    states = await Promise.all(all.map((id) => curl('GET', `/jobs/${id}`, undefined, { quiet: true })))
    if (states.every((s) => FINAL.includes(s.status))) break
  }
  say(`final statuses: ${states.map((s, i) => `#${all[i]} ${s.status}`).join(', ')}`)
  const broken = await curl('GET', `/jobs/${ids[3]}`)
  say(`the failed job keeps its traceback: ${broken.traceback?.name}: ${broken.traceback?.message}`)
  const [, reportId] = await waitForServer(/report: the scheduled job #(\d+) ran/, 15_000)
  say(`the "report" schedule fired and its job #${reportId} ran`)
  await curl('GET', '/stats')
} finally {
  say('sending SIGTERM to the server')
  server.kill('SIGTERM')
  say(`server exited with code ${await exited}`)
  await embedded?.stop()
}
