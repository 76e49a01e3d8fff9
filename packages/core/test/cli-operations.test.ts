// The operations commands of the real `pgq` binary (enqueue, status, history, failed, requeue,
// cancel, pause, resume, schedules, stats) against a real database; workers run in-process.
import { beforeEach, describe, expect, it } from 'vitest'
import { merge } from '../src/cli/stats.js'
import { pgqCli } from './support/pgq-cli.js'
import { useQueueDatabase } from './support/queue-database.js'
import { queueOn } from './support/runtime.js'

const f = useQueueDatabase('cli_ops', 'node-postgres')
const pgq = (args: string[], input?: string) => pgqCli([...args, '--database-url', f.url], { input })
const json = <T = unknown>(r: { code: number | null; stdout: string; stderr: string }): T => {
  expect(r.stderr).toBe('')
  return JSON.parse(r.stdout) as T
}
const jobCount = async () => Number((await f.sql('select count(*) as n from pgq.jobs'))[0]!.n)

/**
 * A queue whose `greet` handler throws while `failing.now` (held after one attempt), and
 * `drop`, which always throws and is dropped. Enqueue through it: a job takes its attempts and
 * what happens after them from the policy registered when it is enqueued.
 */
function worker(failing = { now: false }) {
  return queueOn(f.driver)
    .entrypoint('greet', { maxAttempts: 1 }, async (job) => {
      if (failing.now) throw new TypeError(`greet ${job.id} refused`)
    })
    .entrypoint('drop', { maxAttempts: 1, onFailure: 'delete' }, async () => {
      throw new RangeError('always out of range')
    })
}

/** Refused before anything is written: exit 2, the reason on stderr, nothing on stdout. */
async function expectRefused(args: string[], reason: RegExp) {
  const r = await pgq(args)
  expect(r.code, args.join(' ')).toBe(2)
  expect(r.stdout, args.join(' ')).toBe('')
  expect(r.stderr, args.join(' ')).toMatch(reason)
  expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1)
}

describe('pgq operations commands', () => {
  beforeEach(async () => {
    await f.reset()
    await f.sql('truncate pgq.schedules, pgq.statistics')
  })

  it('enqueue stores the job as given and prints its id', async () => {
    const before = Date.now()
    const full = json<{ id: number; skipped: boolean }>(
      await pgq(['enqueue', 'greet', '{"to":"ada","n":[1,2]}', '--priority=-5', '--delay', '10m', '--dedupe-key', 'k1', '--header', 'trace=abc', '--header', 'n=3', '--header', 'on=true', '--json']),
    )
    expect(full.skipped).toBe(false)
    const job = await f.producer().job(full.id)
    expect(job).toMatchObject({ entrypoint: 'greet', payload: { to: 'ada', n: [1, 2] }, priority: -5, dedupeKey: 'k1', headers: { trace: 'abc', n: 3, on: true } })
    expect(job!.runAt.getTime()).toBeGreaterThanOrEqual(before + 600_000 - 1000)
    expect(job!.runAt.getTime()).toBeLessThanOrEqual(Date.now() + 600_000 + 1000)

    const plain = await pgq(['enqueue', 'greet'])
    expect(plain).toMatchObject({ code: 0, stderr: '' })
    expect(plain.stdout).toMatch(/^[0-9]+\n$/)
    expect((await f.producer().job(Number(plain.stdout)))?.payload).toBeNull()

    const alias = await pgq(['queue', 'greet', '"text"', '--run-at', '2030-01-31T09:00:00Z'])
    const aliased = await f.producer().job(Number(alias.stdout))
    expect(aliased).toMatchObject({ payload: 'text', priority: 0 })
    expect(aliased!.runAt.toISOString()).toBe('2030-01-31T09:00:00.000Z')
  })

  it('enqueue reads the payload from stdin with -', async () => {
    const payload = { order: 17, items: [{ sku: 'a-1', qty: 2 }], note: 'line one\nline two' }
    const { id } = json<{ id: number }>(await pgq(['enqueue', 'ship', '-', '--json'], JSON.stringify(payload)))
    expect((await f.producer().job(id))?.payload).toEqual(payload)
  })

  it('enqueue with a held dedupe key fails naming the holder, or skips with --on-conflict skip', async () => {
    const first = Number((await pgq(['enqueue', 'greet', '--dedupe-key', 'once'])).stdout)
    const again = await pgq(['enqueue', 'greet', '{"x":1}', '--dedupe-key', 'once'])
    expect(again).toMatchObject({ code: 1, stdout: '' })
    expect(again.stderr).toBe(`pgq: dedupe key "once" is held by job ${first} (queued): nothing enqueued (pass --on-conflict skip to skip instead)\n`)
    expect(json(await pgq(['enqueue', 'greet', '--dedupe-key', 'once', '--on-conflict', 'skip', '--json']))).toEqual({ id: null, skipped: true, heldBy: first })
    const skipped = await pgq(['enqueue', 'greet', '--dedupe-key', 'once', '--on-conflict', 'skip'])
    expect(skipped).toEqual({ code: 0, stdout: `skipped: dedupe key "once" is held by job ${first} (queued)\n`, stderr: '' })
    expect(await jobCount()).toBe(1)
  })

  it('enqueue with a dedupe mode: replace keeps the id and takes the new payload, throttle enqueues one per window', async () => {
    const first = Number((await pgq(['enqueue', 'greet', '{"v":1}', '--dedupe-key', 'k', '--dedupe-mode', 'replace'])).stdout)
    const again = Number((await pgq(['enqueue', 'greet', '{"v":2}', '--dedupe-key', 'k', '--dedupe-mode', 'replace'])).stdout)
    expect(again).toBe(first)
    expect(await f.sql('select payload from pgq.jobs')).toEqual([{ payload: { v: 2 } }])
    const debounced = Number((await pgq(['enqueue', 'greet', '{"v":3}', '--dedupe-key', 'd', '--dedupe-mode', 'debounce', '--delay', '1h'])).stdout)
    expect(debounced).toBeGreaterThan(first)
    const opened = json(await pgq(['enqueue', 'greet', '--dedupe-key', 't', '--dedupe-mode', 'throttle', '--dedupe-window', '1h', '--json']))
    expect(opened).toMatchObject({ skipped: false })
    const throttled = await pgq(['enqueue', 'greet', '--dedupe-key', 't', '--dedupe-mode', 'throttle', '--dedupe-window', '1h'])
    expect(throttled).toEqual({ code: 0, stdout: 'throttled: dedupe key "t" already started a job in this window\n', stderr: '' })
    expect(await jobCount()).toBe(3)
    await expectRefused(['enqueue', 'greet', '--dedupe-mode', 'replace'], /--dedupe-mode needs --dedupe-key/)
    await expectRefused(['enqueue', 'greet', '--dedupe-key', 'x', '--dedupe-mode', 'debounce'], /needs --delay/)
    await expectRefused(['enqueue', 'greet', '--dedupe-key', 'x', '--dedupe-mode', 'throttle'], /needs --dedupe-window/)
    await expectRefused(['enqueue', 'greet', '--dedupe-key', 'x', '--dedupe-mode', 'often'], /--dedupe-mode/)
    expect(await jobCount()).toBe(3)
  })

  it('enqueue refuses bad input naming the field, with exit 2, writing nothing and never quoting the payload', async () => {
    await expectRefused(['enqueue', 'greet', '{"secret":"s3cr3t"'], /^pgq: the payload is not valid JSON/)
    await expectRefused(['enqueue', 'greet', '-'], /the payload read from standard input is not valid JSON/) // stdin is empty
    await expectRefused(['enqueue', 'greet', '{"k":"s3cr3t\\u0000"}'], /^pgq: payload\.k contains U\+0000/)
    await expectRefused(['enqueue', 'greet', '--priority', '1.5'], /--priority must be an integer from -32768 to 32767/)
    await expectRefused(['enqueue', 'greet', '--priority', '-5'], /--priority needs a value; one starting with a dash is written --priority=<value>/)
    await expectRefused(['enqueue', 'greet', '--delay', '5m', '--run-at', '2030-01-01T00:00:00Z'], /give --delay or --run-at, not both/)
    await expectRefused(['enqueue', 'greet', '--delay', 'soonish'], /^pgq: --delay must be a duration/)
    await expectRefused(['enqueue', 'greet', '--run-at', 'tomorrow'], /--run-at must be an ISO 8601 time/)
    await expectRefused(['enqueue', 'greet', '--header', 'novalue'], /--header must be key=value/)
    await expectRefused(['enqueue', 'greet', '--header', 'a=1', '--header', 'a=2'], /--header "a" is given twice/)
    await expectRefused(['enqueue', 'greet', '--on-conflict', 'ignore'], /--on-conflict must be raise or skip/)
    await expectRefused(['enqueue', 'greet', '--dedupe-key', ''], /^pgq: --dedupe-key must be a string of 1 to 512 characters/)
    await expectRefused(['enqueue'], /pass the entrypoint/)
    await expectRefused(['enqueue', 'greet', '{}', '{}'], /pass the payload as one argument/)
    for (const args of [['enqueue', 'greet', '{"secret":"s3cr3t"'], ['enqueue', 'greet', '{"k":"s3cr3t\\u0000"}']]) expect((await pgq(args)).stderr).not.toContain('s3cr3t')
    expect(await jobCount()).toBe(0)
  })

  it('status prints each job in the order given, exit 1 when one is unknown', async () => {
    const id = await f.producer().enqueue('greet', null)
    const states = await pgq(['status', String(id), '999999', '--json'])
    expect(states.code).toBe(1)
    expect(json(states)).toMatchObject([
      { id, status: 'queued', attempts: 0, inQueue: true },
      { id: 999999, status: null, attempts: 0, inQueue: false },
    ])
    const one = await pgq(['status', String(id)])
    expect(one.code).toBe(0)
    expect(one.stdout).toMatch(new RegExp(`^job +status +attempts +in queue\\n${id} +queued +0 +yes\\n$`))
    await expectRefused(['status', 'abc'], /job id must be a positive integer up to 9007199254740991, got "abc"/)
    await expectRefused(['status'], /pass at least one job id/)
  })

  it("history shows each log entry with a failure's error and first stack frames", async () => {
    const failing = { now: true }
    const id = await f.producer().enqueue('greet', null)
    await worker(failing).drain()
    const entries = json<{ status: string; attempts: number; traceback: { name: string; message: string; stack: string } | null }[]>(await pgq(['history', String(id), '--json']))
    expect(entries).toHaveLength(1)
    expect(entries[0]).toMatchObject({ status: 'failed', attempts: 1, traceback: { name: 'TypeError', message: `greet ${id} refused` } })
    const text = await pgq(['history', String(id)])
    expect(text.code).toBe(0)
    expect(text.stdout).toMatch(new RegExp(`Z \\(.* ago\\) +failed \\(held\\) +1 +greet +TypeError: greet ${id} refused\n`))
    expect(text.stdout).toMatch(/\n +at .*cli-operations\.test\.ts/) // the handler's own frame comes first
    const unknown = await pgq(['history', '999999'])
    expect(unknown).toMatchObject({ code: 1, stdout: '', stderr: 'pgq: no job 999999 (it never existed, or its log was pruned)\n' })
    await expectRefused(['history', String(id), '2'], /pass one job id, got 2 arguments/)
    await expectRefused(['history'], /pass the job id/)
  })

  it('failed lists held and dropped jobs with their last error, filters them and groups them by fingerprint', async () => {
    const q = worker({ now: true })
    const [a, b, c] = [await q.enqueue('greet', 1), await q.enqueue('greet', 2), await q.enqueue('drop', 3)]
    await q.drain()
    type Record = { jobId: number; entrypoint: string; held: boolean; attempts: number; traceback: { name: string } }
    const all = json<Record[]>(await pgq(['failed', '--json']))
    expect(all.map((r) => [r.jobId, r.entrypoint, r.held, r.attempts, r.traceback.name]).sort()).toEqual([
      [a, 'greet', true, 1, 'TypeError'],
      [b, 'greet', true, 1, 'TypeError'],
      [c, 'drop', false, 1, 'RangeError'],
    ].sort())
    expect(json<Record[]>(await pgq(['failed', '--held-only', '--json'])).map((r) => r.jobId).sort()).toEqual([a, b].sort())
    expect(json<Record[]>(await pgq(['failed', '--entrypoint', 'drop', '--json'])).map((r) => r.jobId)).toEqual([c])
    expect(json<Record[]>(await pgq(['failed', '--entrypoint', 'drop', '--entrypoint', 'greet', '--newer-than', '1h', '--json']))).toHaveLength(3)
    expect(json(await pgq(['failed', '--older-than', '1h', '--json']))).toEqual([])
    expect(json(await pgq(['failed', '--limit', '1', '--json']))).toHaveLength(1)

    type Group = { fingerprint: string; name: string; count: number; jobIds: number[]; heldJobIds: number[]; entrypoints: string[] }
    const groups = json<Group[]>(await pgq(['failed', '--group', '--json']))
    expect(groups.map((g) => [g.name, g.count, g.entrypoints, [...g.heldJobIds].sort()])).toEqual([
      ['TypeError', 2, ['greet'], [a, b].sort()],
      ['RangeError', 1, ['drop'], []],
    ])
    expect(groups[0]!.fingerprint).toMatch(/^TypeError at .*cli-operations\.test\.ts/)

    const text = await pgq(['failed'])
    expect(text.stdout).toMatch(new RegExp(`^${c} +drop +dropped +1 .*RangeError: always out of range$`, 'm'))
    expect(text.stdout).toMatch(/^3 jobs, 2 held \(pgq requeue <ids> puts them back\)$/m)
    await expectRefused(['failed', '--limit', '0'], /--limit must be an integer from 1 to 1000, got "0"/)
    await expectRefused(['failed', '--older-than', 'a while'], /--older-than must be a duration/)

    // A group's held ids: the first five and how many more, so the table stays readable.
    const more = await q.enqueueMany(Array.from({ length: 6 }, (_, i) => ({ entrypoint: 'greet' as const, payload: 10 + i })))
    await q.drain()
    const held = [a, b, ...more].sort((x, y) => x - y)
    const grouped = (await pgq(['failed', '--group'])).stdout
    expect(grouped).toMatch(/ 3 more /)
    expect(grouped.split('\n').every((l) => l.length < 400)).toBe(true)
    expect(json<Group[]>(await pgq(['failed', '--group', '--json']))[0]!.heldJobIds.sort((x, y) => x - y)).toEqual(held)
  })

  it('requeue puts a held job back, attempts reset, and it then succeeds', async () => {
    const failing = { now: true }
    const id = await f.producer().enqueue('greet', null)
    await worker(failing).drain()
    expect(await f.producer().status([id])).toMatchObject([{ id, status: 'failed', attempts: 1, inQueue: true }])

    await expectRefused(['requeue'], /name the held jobs to requeue: job ids, --entrypoint <name> \(repeatable\) or --all/)
    await expectRefused(['requeue', String(id), '--all'], /give job ids, --entrypoint or --all, one of them/)
    await expectRefused(['requeue', 'x1'], /job id must be a positive integer/)
    expect((await f.producer().status([id]))[0]!.status).toBe('failed')

    expect(json(await pgq(['requeue', String(id), '--json']))).toEqual({ requeued: [id], count: 1, notHeld: [] })
    expect(await f.producer().status([id])).toMatchObject([{ id, status: 'queued', attempts: 0, inQueue: true }])
    const notHeld = await pgq(['requeue', String(id)])
    expect(notHeld).toEqual({ code: 1, stdout: 'requeued no jobs\n', stderr: `pgq: not held, left as they are: ${id}\n` })

    failing.now = false
    const summary = await worker(failing).drain()
    expect(summary).toMatchObject({ claimed: 1, succeeded: 1 })
    expect(json(await pgq(['status', String(id), '--json']))).toMatchObject([{ id, status: 'successful', attempts: 1, inQueue: false }])
  })

  it('requeue takes every held job of an entrypoint, or all of them', async () => {
    const failing = { now: true }
    const producer = f.producer()
    const greet = await producer.enqueue('greet', null)
    await worker(failing).drain()
    // A held job of another entrypoint, made so by its policy.
    const other = await producer.enqueue('other', null)
    await queueOn(f.driver).entrypoint('other', { maxAttempts: 1 }, async () => { throw new Error('no') }).drain()
    expect(json(await pgq(['requeue', '--entrypoint', 'greet', '--json']))).toEqual({ requeued: [greet], count: 1, notHeld: [] })
    expect((await producer.status([other]))[0]!.status).toBe('failed')
    const all = await pgq(['requeue', '--all'])
    expect(all).toEqual({ code: 0, stdout: `requeued 1 job: ${other}\n`, stderr: '' })
  })

  it('cancel removes jobs from the queue, exit 1 naming the ones not in it', async () => {
    const [a, b] = [await f.producer().enqueue('greet', null), await f.producer().enqueue('greet', null)]
    await expectRefused(['cancel', '0'], /job id must be a positive integer up to 9007199254740991, got "0"/)
    await expectRefused(['cancel'], /pass at least one job id/)
    const result = await pgq(['cancel', String(a), '999999', '--json'])
    expect(result.code).toBe(1)
    expect(json(result)).toEqual({ canceled: [{ id: a, previousStatus: 'queued' }], notInQueue: [999999] })
    expect((await f.producer().status([a, b])).map((s) => s.status)).toEqual(['canceled', 'queued'])
    expect(await pgq(['cancel', String(b)])).toEqual({ code: 0, stdout: `canceled job ${b} (was queued)\n`, stderr: '' })
  })

  it('pause stops every worker claiming the entrypoint until resume', async () => {
    await expectRefused(['pause'], /pass the entrypoint/)
    await expectRefused(['pause', 'greet', 'drop'], /pass one entrypoint, got 2 arguments/)
    await expectRefused(['resume', ''], /the entrypoint must not be empty/)
    expect(await f.producer().entrypointPolicies(['greet'])).toEqual([])

    expect(json(await pgq(['pause', 'greet', '--json']))).toMatchObject({ name: 'greet', paused: true })
    const id = await f.producer().enqueue('greet', null)
    expect(await worker().drain()).toMatchObject({ claimed: 0 })
    const resumed = await pgq(['resume', 'greet'])
    expect(resumed).toEqual({ code: 0, stdout: 'resumed greet\n', stderr: '' })
    expect((await f.producer().entrypointPolicies(['greet']))[0]!.paused).toBe(false)
    expect(await worker().drain()).toMatchObject({ claimed: 1, succeeded: 1 })
    expect((await f.producer().status([id]))[0]!.status).toBe('successful')
  })

  it('schedules lists the stored schedules with next and last run and overdue, and removes them', async () => {
    await queueOn(f.driver).schedule('report', '0 3 * * *').schedule('report', '*/15 * * * *').fireDueSchedules({ now: new Date() })
    // Stored as of 2020: its next run is long past, so nobody fires it.
    await queueOn(f.driver).schedule('stale', '0 0 1 1 *', { timezone: 'Europe/Paris' }).fireDueSchedules({ now: new Date('2020-06-01T00:00:00Z') })
    type Info = { entrypoint: string; expression: string; timezone: string; nextRun: string; lastRun: string | null; overdue: boolean }
    const list = json<Info[]>(await pgq(['schedules', '--json']))
    expect(list.map((s) => [s.entrypoint, s.expression, s.timezone, s.overdue])).toEqual([
      ['report', '*/15 * * * *', 'UTC', false],
      ['report', '0 3 * * *', 'UTC', false],
      ['stale', '0 0 1 1 *', 'Europe/Paris', true],
    ])
    expect(Date.parse(list[0]!.nextRun)).toBeGreaterThan(Date.now() - 1000)
    expect(Date.parse(list[2]!.nextRun)).toBeLessThan(Date.parse('2022-01-01T00:00:00Z'))
    expect((await pgq(['schedules'])).stdout).toMatch(/^stale +0 0 1 1 \* +Europe\/Paris .* OVERDUE$/m)

    await expectRefused(['schedules', '--expression', '0 3 * * *'], /--expression only narrows --remove <entrypoint>/)
    expect(json(await pgq(['schedules', '--remove', 'report', '--expression', '0 3 * * *', '--json']))).toEqual({ entrypoint: 'report', expression: '0 3 * * *', removed: 1 })
    expect(await pgq(['schedules', '--remove', 'report'])).toEqual({ code: 0, stdout: 'removed 1 schedule of report\n', stderr: '' })
    expect(await pgq(['schedules', '--remove', 'report'])).toEqual({ code: 1, stdout: '', stderr: 'pgq: no stored schedule of report\n' })
    expect(json<Info[]>(await pgq(['schedules', '--json'])).map((s) => s.entrypoint)).toEqual(['stale'])
  })

  it('stats shows the queue now and finished work per entrypoint and status', async () => {
    const q = worker()
    for (let i = 0; i < 3; i++) await q.enqueue('greet', i)
    await q.enqueue('drop', null)
    await q.drain()
    await q.enqueue('greet', 'waiting')
    type Stats = { overview: { entrypoint: string; queued: number; held: number; paused: boolean }[]; statistics: { entrypoint: string; status: string; count: number; run: { count: number; p50: number; p95: number; max: number } | null; wait: { p50: number } | null }[] }
    const stats = json<Stats>(await pgq(['stats', '--json']))
    expect(stats.overview).toEqual([
      expect.objectContaining({ entrypoint: 'drop', queued: 0, held: 0, paused: false }),
      expect.objectContaining({ entrypoint: 'greet', queued: 1, held: 0, paused: false }),
    ])
    expect(stats.statistics.map((s) => [s.entrypoint, s.status, s.count])).toEqual([
      ['drop', 'exception', 1],
      ['greet', 'successful', 3],
    ])
    const greet = stats.statistics[1]!
    expect(greet.run?.count).toBe(3)
    expect(greet.run!.p50).toBeLessThanOrEqual(greet.run!.p95)
    expect(greet.run!.p95).toBeLessThanOrEqual(greet.run!.max)
    expect(greet.wait).not.toBeNull()
    expect(json<Stats>(await pgq(['stats', '--entrypoint', 'drop', '--json'])).statistics.map((s) => s.entrypoint)).toEqual(['drop'])
    const text = await pgq(['stats', '--since', '30m'])
    expect(text.stdout).toMatch(/^greet +successful +3 /m)
    expect(text.stdout).toMatch(/^finished since .* \(30m\):$/m)
    await expectRefused(['stats', '--since', 'forever'], /--since must be a duration/)
  })

  it("stats merges minute buckets into bounds that are each bucket's own figures when there is one", () => {
    const a = { count: 10, mean: 5, p50: 4, p95: 8, max: 9 }
    expect(merge([a])).toEqual(a)
    const b = { count: 10, mean: 50, p50: 32, p95: 64, max: 70 }
    // Of 20 jobs at least 10 (95% of a's, rounded up) took at most 8: the merged p50 is at most 8;
    // 19 are covered only by b's p95, 64.
    expect(merge([a, b])).toEqual({ count: 20, mean: 27.5, p50: 8, p95: 64, max: 70 })
    expect(merge([])).toBeNull()
  })

  it('says why it cannot connect or find the schema in one line, without the password', async () => {
    const refused = await pgqCli(['status', '1', '--database-url', 'postgresql://ops:hunter2@127.0.0.1:1/none'])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/^pgq: could not connect to the database: .*ECONNREFUSED.*\n$/)
    expect(refused.stderr).not.toContain('hunter2')
    const missing = await pgq(['failed', '--schema', 'not_installed'])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/^pgq: .*Run `pgq upgrade`.*\n$/)
    await expectRefused(['stats', '--schema', 'Bad-Name'], /invalid schema name "Bad-Name"/)
  })

  it('prints the help of every command, its arguments and its alias', async () => {
    const help = await pgqCli(['enqueue', '--help'])
    expect(help).toMatchObject({ code: 0, stderr: '' })
    expect(help.stdout).toMatch(/^Usage: pgq enqueue <entrypoint> \[payload\] \[options\]\n/)
    expect(help.stdout).toContain('Alias: pgq queue')
    expect(help.stdout).toMatch(/--on-conflict <raise\|skip> +a held dedupe key: fail \(exit 1\), or skip the job \(exit 0\) \(default: raise\)/)
    for (const command of ['status', 'history', 'failed', 'requeue', 'cancel', 'pause', 'resume', 'schedules', 'stats', 'listen', 'run']) {
      const r = await pgqCli([command, '--help'])
      expect(r.code, command).toBe(0)
      expect(r.stdout, command).toMatch(new RegExp(`^Usage: pgq ${command}( \\S+)* \\[options\\]\\n`))
      expect(r.stdout, command).toContain('--database-url <url>')
    }
  })
})
