// `pgq dashboard`: render() on handmade snapshots, readSnapshot() on a real queue, and the
// built binary redrawing in a detached 80x24 tmux pane.
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { render } from '../src/cli/dashboard/render.js'
import { type DashboardSnapshot, type EntrypointLine, readSnapshot, type SnapshotSource } from '../src/cli/dashboard/snapshot.js'
import type { FailureRecord } from '../src/queue/operations.js'
import type { StatisticsBucket } from '../src/queue/statistics.js'
import { PGQ_BIN } from './support/pgq-proxy.js'
import { useQueueDatabase } from './support/queue-database.js'
import { queueOn } from './support/runtime.js'

const AT = new Date('2030-01-02T03:04:05Z')
const ESC = String.fromCharCode(27)
const plain = (text: string) => text.replace(new RegExp(`${ESC}\\[[0-9;]*m`, 'g'), '')

function line(entrypoint: string, fields: Partial<EntrypointLine> = {}): EntrypointLine {
  const base = { queued: 0, scheduled: 0, picked: 0, held: 0, blocked: 0, oldestQueuedAgeMs: null, paused: false, concurrencyLimit: null }
  return { entrypoint, ...base, succeeded: 0, failed: 0, perMinute: 0, failureRate: null, ...fields }
}

function failure(jobId: number, entrypoint: string, message: string, agoMs: number, held = true): FailureRecord {
  const traceback = { name: 'TypeError', message, stack: null, attempt: 3, workerId: 'w1', entrypoint }
  return { jobId, entrypoint, held, attempts: 3, at: new Date(AT.getTime() - agoMs), traceback, fingerprint: 'TypeError at handler' }
}

function snapshot(entrypoints: EntrypointLine[], failures: FailureRecord[] = []): DashboardSnapshot {
  return { schema: 'pgq', at: AT, since: new Date(AT.getTime() - 300_000), entrypoints, failures, unhealthy: [] }
}

const LONG_NAME = 'mail.send-welcome-email-to-every-new-customer-of-the-month'
const busy = snapshot(
  [
    line('billing.charge-card', { queued: 1234, scheduled: 12, picked: 4, held: 2, perMinute: 342.6, failureRate: 0.012, oldestQueuedAgeMs: 65_000 }),
    line(LONG_NAME, { queued: 123_456_789, paused: true, perMinute: 3.25, failureRate: 0.5 }),
  ],
  [failure(123, 'billing.charge-card', `Cannot read properties of undefined (reading 'amount') ${'and more '.repeat(20)}\n    at the next line`, 125_000), failure(99, LONG_NAME, 'boom', 5000, false)],
)

describe('dashboard render()', () => {
  it('keeps every line under 80 columns, cutting long names and messages with an ellipsis, in colour too', () => {
    for (const color of [false, true]) {
      const frame = render(busy, { width: 80, color, schema: 'pgq', status: 'rates over the last 5m · refresh every 2s · q quits', error: { message: `connection lost ${'x'.repeat(100)}`, at: AT } })
      const lines = plain(frame).split('\n')
      for (const l of lines) expect(l.length).toBeLessThan(80)
      expect(lines.some((l) => l.startsWith('mail.send-welcome-ema') && l.includes('…'))).toBe(true)
      expect(lines.find((l) => l.startsWith('#123'))).toMatch(/TypeError: Cannot read properties of .*…/)
      expect(lines.find((l) => l.startsWith('! refresh'))).toMatch(/…$/)
      expect(frame.includes(ESC)).toBe(color)
    }
  })

  it('shows the counts, the rate, the failure rate and the oldest job per entrypoint', () => {
    const lines = render(busy, { width: 80, color: false, schema: 'pgq' }).split('\n')
    expect(lines[0]).toMatch(/^pgq dashboard · schema pgq · \d\d:\d\d:\d\d · healthy$/)
    expect(lines).toContainEqual(expect.stringMatching(/^entrypoint +queued +sched +picked +held +paused +ok\/min +fail% +oldest$/))
    expect(lines).toContainEqual(expect.stringMatching(/^billing\.charge-card +1234 +12 +4 +2 +343 +1\.2% +1m 5s$/))
    expect(lines).toContainEqual(expect.stringMatching(/^mail\.send-welcome-ema… +123\.5M +0 +0 +0 yes +3\.3 +50% +-$/))
  })

  it('lists the recent failures: job, entrypoint, held or dropped, the first line of the error, how long ago', () => {
    const lines = render(busy, { width: 80, color: false, schema: 'pgq' }).split('\n')
    expect(lines).toContain('recent failures')
    expect(lines).toContainEqual(expect.stringMatching(/^#123 billing\.charg… held +TypeError: Cannot read properties of .* 2m 5s ago$/))
    expect(lines).toContainEqual(expect.stringMatching(/^#99 +mail\.send-wel… dropped TypeError: boom +5s ago$/))
    expect(lines.join('\n')).not.toContain('at the next line')
  })

  it('says so when the queue is empty and nothing failed', () => {
    const frame = render(snapshot([]), { width: 80, color: false, schema: 'pgq' })
    expect(frame).toContain('no entrypoints in schema pgq yet')
    expect(frame).toContain('recent failures: none')
    expect(frame).not.toMatch(/^entrypoint /m)
  })

  it('fits a short terminal: fewer failures first, then fewer entrypoints', () => {
    expect(render(busy, { width: 80, height: 12, color: false, schema: 'pgq' }).split('\n')).toHaveLength(12)
    const eleven = render(busy, { width: 80, height: 11, color: false, schema: 'pgq' }).split('\n')
    expect(eleven).toHaveLength(11)
    expect(eleven).toContain('recent failures (newest 1 of 2)')
    expect(eleven.at(-1)).toMatch(/^#123 /)
    const three = snapshot([...busy.entrypoints, line('reports')])
    const six = render(three, { width: 80, height: 6, color: false, schema: 'pgq' }).split('\n')
    expect(six).toHaveLength(6)
    expect(six[4]).toMatch(/^billing\.charge-card /)
    expect(six[5]).toMatch(/^… 2 more entrypoints/)
  })

  it('shows a failed refresh in one line above the last good data, and names the health checks that failed', () => {
    const error = { message: 'could not connect to the database: ECONNREFUSED', at: AT }
    const unhealthy = { ...busy, unhealthy: ['xmin-horizon', 'dead-tuples'] as DashboardSnapshot['unhealthy'] }
    const lines = render(unhealthy, { width: 120, color: false, schema: 'pgq', error }).split('\n')
    expect(lines[0]).toMatch(/ · unhealthy: xmin-horizon, dead-tuples \(pgq doctor\)$/)
    expect(lines[1]).toMatch(/^! refresh failed \d\d:\d\d:\d\d: could not connect to the database: ECONNREFUSED$/)
    expect(lines).toContainEqual(expect.stringMatching(/^billing\.charge-card +1234/))
    const first = render(null, { width: 80, color: false, schema: 'jobs', error }).split('\n')
    expect(first[0]).toBe('pgq dashboard · schema jobs · no data yet')
  })
})

describe('dashboard readSnapshot(), from stubbed reads', () => {
  const bucket = (entrypoint: string, status: StatisticsBucket['status'], count: number): StatisticsBucket => ({ minute: AT, entrypoint, status, priority: 0, count, run: null, wait: null })
  const source = (buckets: StatisticsBucket[], calls: string[]): SnapshotSource => ({
    schema: 'pgq',
    overview: async () => [{ ...line('kept'), queued: 1 }],
    statistics: async (q) => {
      calls.push(`statistics ${q?.since?.toISOString()} ${q?.until?.toISOString()}`)
      return buckets
    },
    failures: async () => {
      calls.push('failures')
      return []
    },
    health: async () => ({ healthy: true, checks: [] }),
  })

  it('counts whole minutes of statistics, gives finished-only entrypoints a row, and skips failures at limit 0', async () => {
    const calls: string[] = []
    const buckets = [bucket('gone', 'successful', 30), bucket('gone', 'queued', 4), bucket('gone', 'exception', 6), bucket('kept', 'failed', 2)]
    const snap = await readSnapshot(source(buckets, calls), { windowMs: 300_000, failureLimit: 0, now: AT })
    expect(calls).toEqual(['statistics 2030-01-02T02:59:00.000Z 2030-01-02T03:04:05.000Z'])
    expect(snap.entrypoints.map((e) => e.entrypoint)).toEqual(['gone', 'kept'])
    // 30 successes over 5 min 5 s; a retried attempt ('queued') is no failure.
    expect(snap.entrypoints[0]).toMatchObject({ queued: 0, succeeded: 30, failed: 6, failureRate: 6 / 36 })
    expect(snap.entrypoints[0]!.perMinute).toBeCloseTo(30 / (305 / 60), 10)
    expect(snap.entrypoints[1]).toMatchObject({ queued: 1, succeeded: 0, failed: 2, failureRate: 1, perMinute: 0 })
  })
})

describe('dashboard readSnapshot(), on a real queue', () => {
  const q = useQueueDatabase('dashboard', 'node-postgres')
  beforeEach(() => q.reset())

  it('reads queued, scheduled, picked and held jobs, the throughput and failure rate, and the failures', async () => {
    const queue = queueOn(q.driver)
      .entrypoint('ok', () => undefined)
      .entrypoint('broken', { maxAttempts: 1 }, (job) => {
        throw new RangeError(`bad item ${job.payload}`)
      })
    await queue.enqueueMany([...Array.from({ length: 6 }, (_, i) => ({ entrypoint: 'ok' as const, payload: i })), { entrypoint: 'broken', payload: 1 }, { entrypoint: 'broken', payload: 2 }])
    expect(await queue.drain({ timeBudget: 10_000 })).toMatchObject({ succeeded: 6, failed: 2 })
    await queue.enqueueMany([
      ...Array.from({ length: 3 }, () => ({ entrypoint: 'ok' as const, payload: null, runAt: new Date(Date.now() - 90_000) })),
      ...Array.from({ length: 2 }, () => ({ entrypoint: 'ok' as const, payload: null, delay: '1h' })),
    ])
    await queue.pause('ok')

    // A second queue serves only 'slow' and holds its job running while the snapshot is read.
    let release!: () => void
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const worker = queueOn(q.driver).entrypoint('slow', () => held)
    const started = new Promise((resolve) => worker.on('job:started', resolve))
    await worker.enqueue('slow', null)
    const draining = worker.drain({ timeBudget: 10_000 })
    await started

    const snap = await readSnapshot(queue, { windowMs: 300_000, failureLimit: 10 })
    release()
    expect(await draining).toMatchObject({ succeeded: 1 })

    expect(snap.since.getTime() % 60_000).toBe(0)
    const minutes = (snap.at.getTime() - snap.since.getTime()) / 60_000
    expect(minutes).toBeGreaterThanOrEqual(5)
    expect(minutes).toBeLessThan(6)
    const [broken, ok, slow] = snap.entrypoints
    expect(snap.entrypoints.map((e) => e.entrypoint)).toEqual(['broken', 'ok', 'slow'])
    expect(ok).toMatchObject({ queued: 3, scheduled: 2, picked: 0, held: 0, paused: true, succeeded: 6, failed: 0, failureRate: 0 })
    expect(ok!.perMinute).toBeCloseTo(6 / minutes, 10)
    expect(ok!.oldestQueuedAgeMs).toBeGreaterThanOrEqual(89_000)
    expect(ok!.oldestQueuedAgeMs).toBeLessThan(150_000)
    expect(broken).toMatchObject({ queued: 0, held: 2, succeeded: 0, failed: 2, failureRate: 1, perMinute: 0, paused: false })
    expect(slow).toMatchObject({ queued: 0, picked: 1, held: 0 })
    expect(snap.failures.map((f) => [f.entrypoint, f.held, f.traceback?.message]).sort()).toEqual([
      ['broken', true, 'bad item 1'],
      ['broken', true, 'bad item 2'],
    ])
    expect(snap.unhealthy).toEqual([])

    const frame = render(snap, { width: 80, color: false, schema: 'pgq' })
    expect(frame).toMatch(/^ok +3 +2 +0 +0 yes +1\.\d +0% +1m 3\ds$/m)
    for (const f of snap.failures) expect(frame).toMatch(new RegExp(`^#${f.jobId} +broken +held +RangeError: ${f.traceback?.message}`, 'm'))
  })
})

describe('pgq dashboard in a detached 80x24 tmux pane', () => {
  const q = useQueueDatabase('dashboard_tmux', 'node-postgres')
  // A tmux server of its own (its socket in a temporary folder), so nothing here touches anyone else's sessions.
  const session = `pgq-dashboard-${crypto.randomUUID().slice(0, 8)}`
  let dir: string
  const tmux = async (...args: string[]) => (await promisify(execFile)('tmux', ['-S', path.join(dir, 'tmux.sock'), '-f', path.join(dir, 'tmux.conf'), ...args])).stdout
  const pane = () => tmux('capture-pane', '-p', '-t', session)
  const until = (pattern: RegExp) => expect.poll(pane, { timeout: 15_000, interval: 100 }).toMatch(pattern)

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'pgq-dashboard-'))
    writeFileSync(path.join(dir, 'tmux.conf'), '')
  })
  afterAll(async () => {
    await tmux('kill-session', '-t', session).catch(() => undefined)
    await tmux('kill-server').catch(() => undefined)
    rmSync(dir, { recursive: true, force: true })
  })

  it('--once prints one plain frame for a script and exits 0, or 1 with the error in the frame; bad flags exit 2', async () => {
    const pgq = (...args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        const env = { ...process.env, COLUMNS: '200' } // off a terminal, COLUMNS sets the width (default 80)
        execFile(process.execPath, [PGQ_BIN, 'dashboard', ...args], { cwd: '/', env, timeout: 30_000 }, (error, stdout, stderr) => {
          resolve({ code: error ? Number(error.code) : 0, stdout, stderr })
        })
      })
    await q.producer().enqueue('report', null)
    const ok = await pgq('--once', '--database-url', q.url)
    expect(ok).toMatchObject({ code: 0, stderr: '' })
    expect(ok.stdout).toMatch(/^pgq dashboard · schema pgq · \d\d:\d\d:\d\d · healthy\nrates over the last 5m\n/)
    expect(ok.stdout).toMatch(/^report +1 +0 +0 +0 /m)
    expect(ok.stdout).not.toContain(ESC) // not a terminal: no colour, no cursor moves

    const down = await pgq('--once', '--database-url', 'postgresql://postgres@127.0.0.1:1/none')
    expect(down.code).toBe(1)
    expect(down.stdout).toMatch(/^pgq dashboard · schema pgq · no data yet\nrates over the last 5m\n! refresh failed \d\d:\d\d:\d\d: could not connect to the database: .*ECONNREFUSED[^\n]*\n$/)

    for (const [flag, value, message] of [
      ['--interval', '10ms', /--interval must be at least 100ms/],
      ['--window', '30s', /--window must be at least 1m/],
      ['--failures', '5000', /--failures must be an integer from 0 to 1000/],
    ] as const) {
      const bad = await pgq('--once', flag, value, '--database-url', 'postgresql://postgres@127.0.0.1:1/none')
      expect(bad).toMatchObject({ code: 2, stdout: '' })
      expect(bad.stderr).toMatch(message)
    }
  })

  it('shows the entrypoint rows, redraws in place as jobs arrive, shows a failed refresh and goes on, and quits on q', async () => {
    const producer = q.producer()
    await producer.enqueueMany(Array.from({ length: 4 }, (_, i) => ({ entrypoint: 'mail', payload: i })))
    const failing = queueOn(q.driver).entrypoint('broken', { maxAttempts: 1 }, () => {
      throw new TypeError('no such recipient')
    })
    await failing.enqueue('broken', null)
    expect(await failing.drain({ timeBudget: 10_000 })).toMatchObject({ failed: 1 })

    // The shell line after the dashboard reports its exit code and keeps the pane open to read.
    const command = `'${process.execPath}' '${PGQ_BIN}' dashboard --database-url '${q.url}' --interval 200ms; echo "[exited $?]"; exec sleep 600`
    await tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', command)

    await until(/^mail +4 +0 +0 +0 /m)
    let frame = await pane()
    expect(frame.split('\n')[0]).toMatch(/^pgq dashboard · schema pgq · \d\d:\d\d:\d\d · healthy$/)
    expect(frame).toMatch(/^broken +0 +0 +0 +1 +0 +100% +-$/m)
    expect(frame).toMatch(/^#\d+ +broken +held +TypeError: no such recipient +[\d.]+m?s ago$/m)
    expect(await tmux('display-message', '-p', '-t', session, '#{cursor_flag}')).toBe('0\n')

    await producer.enqueueMany(Array.from({ length: 3 }, (_, i) => ({ entrypoint: 'mail', payload: i })))
    await until(/^mail +7 +0 +0 +0 /m)
    // Redrawn from the top, not scrolled: the header is still the first line.
    expect((await pane()).split('\n')[0]).toMatch(/^pgq dashboard · /)

    await q.sql('alter table pgq.jobs rename to jobs_away')
    try {
      await until(/^! refresh failed \d\d:\d\d:\d\d: the pgq schema is missing an object \(relation "pgq\.…$/m)
      expect(await pane()).toMatch(/^mail +7 /m) // the last good data stays on screen
    } finally {
      await q.sql('alter table pgq.jobs_away rename to jobs')
    }
    await expect.poll(pane, { timeout: 15_000, interval: 100 }).not.toContain('! refresh')

    await tmux('send-keys', '-t', session, 'q')
    await until(/^\[exited 0\]$/m)
    frame = await pane()
    expect(frame).toMatch(/^mail +7 /m) // the last frame is left on screen
    expect(await tmux('display-message', '-p', '-t', session, '#{cursor_flag}')).toBe('1\n')
  })
})
