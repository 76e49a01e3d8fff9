// Bad input to the real `pgq` binary: exit 2 with one line naming the flag, before anything
// is written; never a raw PostgreSQL or JavaScript error, a stack trace or a silent default.
import { spawn } from 'node:child_process'
import { beforeEach, describe, expect, it } from 'vitest'
import { pgqCli } from './support/pgq-cli.js'
import { PGQ_BIN } from './support/pgq-proxy.js'
import { useQueueDatabase } from './support/queue-database.js'

const f = useQueueDatabase('cli_input', 'node-postgres')
const pgq = (args: string[], env?: Record<string, string>) => pgqCli([...args, '--database-url', f.url], { env })
const jobCount = async () => Number((await f.sql('select count(*) as n from pgq.jobs'))[0]!.n)

/** Exit 2, one line on stderr matching `reason`, nothing on stdout. */
function expectRefused(r: { code: number | null; stdout: string; stderr: string }, reason: RegExp) {
  expect(r.stderr).toMatch(reason)
  expect(r.stderr.trim().split('\n')).toHaveLength(1)
  expect(r.stdout).toBe('')
  expect(r.code).toBe(2)
}

describe('pgq command-line input', () => {
  beforeEach(() => f.reset())

  it('refuses a timer duration Node would shorten to 1 ms (over 2^31-1 ms)', async () => {
    expectRefused(await pgq(['dashboard', '--interval', '30d']), /^pgq: --interval must be at most 24 days/)
    const proxy = await pgqCli(['proxy', '--allow', '127.0.0.1:5432', '--listen', '127.0.0.1:0', '--idle-timeout', '30d'])
    expectRefused(proxy, /^pgq: --idle-timeout must be at most 24 days/)
  })

  it('refuses a time window past 100 years instead of handing it to PostgreSQL or Date', async () => {
    const cases: [string[], string][] = [
      [['failed', '--newer-than', '99999999999d'], '--newer-than'],
      [['failed', '--older-than', '99999999999d'], '--older-than'],
      [['stats', '--since', '9999999d'], '--since'],
      [['stats', '--since', '99999999999d'], '--since'],
      [['dashboard', '--once', '--window', '99999999999d'], '--window'],
      [['prune', '--successful', '99999999999d'], '--successful'],
      [['prune', '--held-jobs', '99999999999d'], '--held-jobs'],
      [['doctor', '--lease', '99999999999d'], '--lease'],
    ]
    for (const [args, flag] of cases) expectRefused(await pgq(args), new RegExp(`^pgq: ${flag} must be at most 100 years`))
    expect((await pgq(['stats', '--since', '36500d'])).code).toBe(0)
  })

  it('refuses a --run-at that names no real date, and keeps a real one as given', async () => {
    expectRefused(await pgq(['enqueue', 'x', '--run-at', '2030-02-30T00:00:00Z']), /^pgq: --run-at must be an ISO 8601 time of a real date/)
    expectRefused(await pgq(['enqueue', 'x', '--run-at', '2029-02-29T00:00:00Z']), /--run-at/)
    expectRefused(await pgq(['enqueue', 'x', '--run-at', '2030-01-31T24:00:00Z']), /--run-at/)
    expect(await jobCount()).toBe(0)
    const leap = await pgq(['enqueue', 'x', '--run-at', '2028-02-29T12:00:00Z'])
    expect(leap).toMatchObject({ code: 0, stderr: '' })
    expect((await f.producer().job(Number(leap.stdout)))!.runAt.toISOString()).toBe('2028-02-29T12:00:00.000Z')
  })

  it('refuses an empty --schema or PGQ_SCHEMA rather than using "pgq"', async () => {
    expectRefused(await pgq(['status', '2', '--schema', '']), /^pgq: --schema must not be empty/)
    expectRefused(await pgq(['status', '2'], { PGQ_SCHEMA: '' }), /^pgq: PGQ_SCHEMA is set but empty/)
  })

  it('exits 0 without a word when the reader of stdout has gone (pgq stats | head -1)', async () => {
    await f.producer().enqueue('greet', null)
    const child = spawn(process.execPath, [PGQ_BIN, 'stats', '--database-url', f.url], { stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout.destroy() // closed before pgq writes: its first write fails with EPIPE
    let stderr = ''
    child.stderr.on('data', (b: Buffer) => (stderr += b))
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
    expect(stderr).toBe('')
    expect(code).toBe(0)
  })

  it("refuses a dedupe mode's flag given without that mode", async () => {
    expectRefused(await pgq(['enqueue', 'x', '--dedupe-window', '5m']), /^pgq: --dedupe-window needs --dedupe-mode throttle/)
    expectRefused(await pgq(['enqueue', 'x', '--dedupe-key', 'k', '--dedupe-max-delay', '5m']), /^pgq: --dedupe-max-delay needs --dedupe-mode debounce/)
    expectRefused(await pgq(['enqueue', 'x', '--dedupe-key', 'k', '--dedupe-mode', 'replace', '--dedupe-window', '5m']), /--dedupe-window needs --dedupe-mode throttle/)
    expect(await jobCount()).toBe(0)
  })

  it("bounds enqueue's durations at 100 years like every other duration flag, writing nothing", async () => {
    // Before, each enqueued a job (one due in 2127) and exited 0.
    expectRefused(await pgq(['enqueue', 'x', '--delay', '101y']), /^pgq: --delay must be at most 100 years/)
    expectRefused(await pgq(['enqueue', 'x', '--dedupe-mode', 'throttle', '--dedupe-key', 'w', '--dedupe-window', '101y']), /^pgq: --dedupe-window must be at most 100 years/)
    expectRefused(await pgq(['enqueue', 'x', '--dedupe-mode', 'debounce', '--dedupe-key', 'd', '--delay', '1s', '--dedupe-max-delay', '101y']), /^pgq: --dedupe-max-delay must be at most 100 years/)
    expectRefused(await pgq(['enqueue', 'x', '--delay', 'soon']), /^pgq: --delay/)
    expect(await jobCount()).toBe(0)
  })

  it('checks entrypoint names and job ids the same way in every command', async () => {
    expectRefused(await pgq(['failed', '--entrypoint', '']), /^pgq: --entrypoint must not be empty/)
    expectRefused(await pgq(['stats', '--entrypoint', '']), /^pgq: --entrypoint must not be empty/)
    expectRefused(await pgq(['pause', 'a'.repeat(300)]), /^pgq: the entrypoint must be at most 128 characters, got 300/)
    expectRefused(await pgq(['requeue', '--entrypoint', 'a'.repeat(129)]), /^pgq: --entrypoint must be at most 128 characters/)
    expectRefused(await pgq(['status', '9223372036854775807']), /job id must be a positive integer up to 9007199254740991, got "9223372036854775807"/)
    expect(await f.sql('select * from pgq.entrypoints')).toEqual([])
  })

  it('doctor fails the durability check where pgq is not installed', async () => {
    const text = await pgq(['doctor', '--schema', 'pgq_absent'])
    expect(text.code).toBe(1)
    expect(text.stdout).toMatch(/^FAIL {2}durability +pgq is not installed in schema "pgq_absent"/m)
    const report = JSON.parse((await pgq(['doctor', '--schema', 'pgq_absent', '--json'])).stdout) as { checks: { name: string; ok: boolean }[] }
    expect(report.checks.find((c) => c.name === 'durability')).toMatchObject({ ok: false })
  })

  it('refuses a database URL that is no postgres:// URL node-postgres reads as written', async () => {
    const cases: [string, RegExp][] = [
      ['not a url', /^pgq: --database-url must be a postgresql:\/\/ URL .*got text that is not one/],
      ['postgresql://postgres@127.0.0.1:notaport/db', /^pgq: --database-url is not a valid URL: check its host and port/],
      ['mysql://u:secret@127.0.0.1/db', /^pgq: --database-url must be a postgresql:\/\/ URL .*got a mysql:\/\/ one/],
    ]
    for (const [url, reason] of cases) {
      const r = await pgqCli(['status', '1', '--database-url', url])
      expectRefused(r, reason)
      expect(r.stderr).not.toContain('secret')
    }
    expectRefused(await pgqCli(['status', '1'], { env: { DATABASE_URL: 'mysql://h/db' } }), /^pgq: DATABASE_URL must be a postgresql:\/\/ URL/)
    // A unix socket URL passes the check and is tried (no server in that folder: exit 1).
    const socket = await pgqCli(['status', '1', '--database-url', 'postgresql:///db?host=/nonexistent-pgq-socket'])
    expect(socket.stderr).toMatch(/^pgq: could not connect to the database/)
    expect(socket.code).toBe(1)
    expect((await pgqCli(['status', '1', '--database-url', f.url.replace(/^postgresql:/, 'postgres:')])).code).toBe(1) // job 1 is unknown: it connected
  })

  it('prints text from the database or a handler with its control characters escaped: no message drives the terminal', async () => {
    const name = 'esc\u001b[2J\u001b]0;pwned\u0007name'
    const id = await f.producer().enqueue(name, null)
    await f.sql(`update pgq.jobs set status = 'failed' where id = $1`, [id])
    await f.sql(
      `insert into pgq.log (job_id, status, priority, entrypoint, attempts, traceback) values ($1, 'failed', 0, $2, 1, $3)`,
      [id, name, JSON.stringify({ name: 'Error', message: 'upstream said \u001b[31mRED\nsecond line', stack: null, attempt: 1, workerId: null, entrypoint: name })],
    )
    for (const args of [['failed'], ['failed', '--group'], ['stats'], ['dashboard', '--once'], ['history', String(id)]]) {
      const r = await pgq(args)
      const controls = [...(r.stdout + r.stderr)].filter((c) => c !== '\n' && c !== '\t' && (c < ' ' || (c >= '\u007f' && c <= '\u009f')))
      expect(controls, args.join(' ')).toEqual([])
    }
    expect((await pgq(['failed'])).stdout).toContain('esc\\x1b[2J\\x1b]0;pwned\\x07name')
    // In a table cell a line break or tab would break the table: escaped too.
    await f.producer().enqueue('line\nbreak\tname', null)
    expect((await pgq(['stats'])).stdout).toContain('line\\nbreak\\tname')
  })

  it('failed --group counts every failure it can read, not the 100 a plain list shows', async () => {
    const ids = await f.producer().enqueueMany(Array.from({ length: 120 }, () => ({ entrypoint: 'charge', payload: null })))
    await f.sql(`update pgq.jobs set status = 'failed' where id = any($1::bigint[])`, [ids])
    const traceback = { name: 'TypeError', message: 'card refused', stack: 'TypeError: card refused\n    at charge (billing.js:1:1)', attempt: 1, workerId: null, entrypoint: 'charge' }
    await f.sql(`insert into pgq.log (job_id, status, priority, entrypoint, attempts, traceback) select id, 'failed', 0, 'charge', 1, $2 from unnest($1::bigint[]) as id`, [ids, JSON.stringify(traceback)])
    const r = await pgq(['failed', '--group', '--json'])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject([{ fingerprint: 'TypeError at charge (billing.js:1:1)', count: 120 }])
    expect((await pgq(['failed', '--group', '--limit', '50'])).stdout).toContain('counts cover the newest 50 failures only')
  })
})
