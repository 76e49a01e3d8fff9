// The VM deployment end to end: `src/node.ts` as a real process, jobs enqueued over HTTP,
// run through LISTEN/NOTIFY, then SIGTERM while a job runs: it finishes and the process exits 0.
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { migrate, withPgClient } from '@pgq/core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../../packages/core/test/setup/database.js'

const APP_DIR = fileURLToPath(new URL('../..', import.meta.url))
const TOKEN = 'e2e-token'

let db: TestDatabase
let child: ChildProcess
let output = ''
let exit: Promise<number | null>

/** Resolves with the first match of `pattern` in the process output. */
function waitForOutput(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpExecArray> {
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = pattern.exec(output)
      if (match) return resolve(match)
      if (Date.now() - started > timeoutMs) return reject(new Error(`no ${pattern} in output:\n${output}`))
      setTimeout(check, 20)
    }
    check()
  })
}

beforeAll(async () => {
  db = await createTestDatabase('node_app')
  await withPgClient(db.url, (c) => migrate(c))
  child = spawn(process.execPath, ['--import', 'tsx', 'src/node.ts'], {
    cwd: APP_DIR,
    env: {
      ...process.env,
      DATABASE_URL: db.url,
      PGQ_TOKEN: TOKEN,
      PORT: '0',
      // A poll this slow cannot explain a job that runs at once: only NOTIFY can.
      PGQ_POLL_INTERVAL_MS: '60000',
      PGQ_REPORT_CRON: '0 0 1 1 *',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout!.on('data', (b: Buffer) => (output += b))
  child.stderr!.on('data', (b: Buffer) => (output += b))
  exit = new Promise((resolve) => child.once('exit', (code) => resolve(code)))
})

afterAll(async () => {
  child?.kill('SIGKILL')
  await db?.drop()
})

it('serves HTTP, runs jobs woken by NOTIFY, and exits 0 on SIGTERM after the running job finishes', async () => {
  const [, url] = await waitForOutput(/listening on (http:\/\/127\.0\.0\.1:\d+)/, 20_000)
  const post = (path: string, body: unknown) =>
    fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })

  expect((await fetch(`${url}/stats`)).status).toBe(401)
  const started = Date.now()
  const greet = await post('/jobs', { entrypoint: 'greet', payload: { name: 'VM' } })
  expect(greet.status).toBe(201)
  const { id } = (await greet.json()) as { id: number }
  await waitForOutput(new RegExp(`succeeded #${id} greet`), 5_000)
  expect(Date.now() - started).toBeLessThan(5_000)
  expect(output).toContain('greet: hello, VM!')
  // The success is logged when the handler returns; its row is written by the next flush.
  const state = async () => (await fetch(`${url}/jobs/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()
  await expect.poll(state, { timeout: 5_000 }).toMatchObject({ id, status: 'successful', attempts: 1 })

  const slow = (await (await post('/jobs', { entrypoint: 'slow', payload: { seconds: 1 } })).json()) as { id: number }
  await waitForOutput(new RegExp(`started   #${slow.id} slow`), 5_000)
  child.kill('SIGTERM')
  expect(await exit).toBe(0)
  // The graceful stop let the running job finish before the process left.
  expect(output).toMatch(new RegExp(`SIGTERM: finishing running jobs[\\s\\S]*succeeded #${slow.id} slow[\\s\\S]*stopped cleanly`))
  const { rows } = await withPgClient(db.url, (c) => c.query(`select status::text from pgq.log where job_id = $1`, [slow.id]))
  expect(rows).toEqual([{ status: 'successful' }])
})
