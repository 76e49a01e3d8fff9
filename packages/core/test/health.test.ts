import { execFile } from 'node:child_process'
import pg from 'pg'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ConfigurationError, SchemaOutdatedError } from '../src/errors.js'
import { migrate } from '../src/migrations/migrator.js'
import type { HealthCheck, HealthCheckName, HealthReport } from '../src/queue/health.js'
import { createProducer } from '../src/runtime/producer.js'
import { SCHEMA_VERSION } from '../src/schema/version.js'
import { createTestDatabase, type TestDatabase } from './setup/database.js'
import { PGQ_BIN } from './support/pgq-proxy.js'
import { DRIVERS, useQueueDatabase } from './support/queue-database.js'
import { queueOn, sleep } from './support/runtime.js'

const NAMES: HealthCheckName[] = ['xmin-horizon', 'dead-tuples', 'expired-leases', 'schedules', 'schema-version', 'durability']
const check = (report: HealthReport, name: HealthCheckName): HealthCheck => report.checks.find((c) => c.name === name)!
const failing = (report: HealthReport) => report.checks.filter((c) => !c.ok).map((c) => c.name)

/** Polls `probe` until `done` holds of its result (health reads catalogs and statistics, which have no event). */
async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (done(value) || Date.now() > deadline) return value
    await sleep(25)
  }
}

async function client(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, application_name: 'health-test-holder' })
  await c.connect()
  return c
}

describe.each(DRIVERS)('health over %s', (driverName) => {
  const q = useQueueDatabase('health', driverName)
  beforeEach(async () => {
    await q.reset()
    await q.sql('truncate pgq.schedules')
  })

  it('a fresh queue is healthy: every check ok, durable, the current version', async () => {
    const queue = queueOn(q.driver).entrypoint('send_email', async () => undefined)
    const report = await queue.health()
    expect(report.checks.map((c) => c.name)).toEqual(NAMES)
    expect(failing(report)).toEqual([])
    expect(report.healthy).toBe(true)
    expect(check(report, 'schema-version').value).toBe(SCHEMA_VERSION)
    expect(check(report, 'durability')).toMatchObject({ ok: true, value: 'durable' })
    expect(check(report, 'dead-tuples').message).toMatch(/^"pgq"\.jobs: \d+ dead and \d+ live tuples/)
  })

  it('a transaction held open on another connection fails the xmin check, naming its pid, not its query', async () => {
    const producer = q.producer()
    const holder = await client(q.url)
    try {
      await holder.query('begin')
      await holder.query('select txid_current()')
      const pid = (await holder.query('select pg_backend_pid() as pid')).rows[0].pid as number
      const report = await until(
        () => producer.health({ xminAge: 100 }),
        (r) => !check(r, 'xmin-horizon').ok,
      )
      const xmin = check(report, 'xmin-horizon')
      expect(xmin.ok).toBe(false)
      expect(report.healthy).toBe(false)
      expect(xmin.value).toBeGreaterThanOrEqual(0.1) // past the 100 ms given (the value is rounded)
      expect(xmin.message).toContain(`pid ${pid}`)
      expect(xmin.message).toContain('"health-test-holder"')
      expect(xmin.message).toContain('idle in transaction')
      expect(xmin.message).not.toMatch(/txid_current|pg_backend_pid/)
      // The default limit (5 min) is not reached: ok, yet the holder is still reported.
      expect(check(await producer.health(), 'xmin-horizon')).toMatchObject({ ok: true, message: expect.stringContaining(`pid ${pid}`) })
    } finally {
      await holder.query('rollback')
      await holder.end()
    }
    const after = check(await until(() => producer.health({ xminAge: 100 }), (r) => check(r, 'xmin-horizon').ok), 'xmin-horizon')
    expect(after.ok).toBe(true)
    expect(after.message).not.toContain('health-test-holder')
  })

  it('a running job whose heartbeat is older than its lease fails the lease check, by each entrypoint lease', async () => {
    const producer = q.producer()
    const [stale] = await producer.enqueueMany([
      { entrypoint: 'resize', payload: { secret: 'do-not-print' } },
      { entrypoint: 'resize', payload: null },
    ])
    await q.sql(`update pgq.jobs set status = 'picked', worker_id = gen_random_uuid(), heartbeat = now() - interval '5 minutes' where id = $1`, [stale])
    // The second one is running with a fresh heartbeat: not counted.
    await q.sql(`update pgq.jobs set status = 'picked', worker_id = gen_random_uuid(), heartbeat = now() where id <> $1`, [stale])
    const report = await producer.health()
    expect(failing(report)).toEqual(['expired-leases'])
    const leases = check(report, 'expired-leases')
    expect(leases.value).toBe(1)
    expect(leases.message).toMatch(new RegExp(`"resize": 1 \\(lease 60 s, oldest job ${stale} without a heartbeat for 30\\d s\\)`))
    expect(leases.message).not.toContain('do-not-print')

    // A queue judges by the entrypoint's own leaseTimeout; an explicit lease wins over it.
    const patient = queueOn(q.driver).entrypoint('resize', { leaseTimeout: '10m' }, async () => undefined)
    expect(check(await patient.health(), 'expired-leases')).toMatchObject({ ok: true, value: 0 })
    expect(check(await patient.health({ lease: '4m' }), 'expired-leases')).toMatchObject({ ok: false, value: 1 })
    expect(check(await producer.health({ lease: { resize: '6m' } }), 'expired-leases').ok).toBe(true)
    expect(check(await producer.health({ lease: { other: '6m' } }), 'expired-leases').ok).toBe(false) // resize: the default 60 s
    expect(check(await producer.health({ lease: 0 }), 'expired-leases').ok).toBe(true) // 0: never expires
  })

  it('a schedule overdue past the grace, or inline and running without a heartbeat, fails the schedule check', async () => {
    const queue = queueOn(q.driver).entrypoint('report', async () => undefined).schedule('report', '*/5 * * * *')
    await queue.fireDueSchedules()
    expect(check(await queue.health(), 'schedules')).toMatchObject({ ok: true, value: 0 })

    await q.sql(`insert into pgq.schedules (entrypoint, expression, next_run) values ('cleanup', '0 3 * * *', now() - interval '30 seconds')`)
    expect(check(await queue.health(), 'schedules').ok).toBe(true) // within the 2 min grace
    const late = check(await queue.health({ scheduleGrace: '10s' }), 'schedules')
    expect(late).toMatchObject({ ok: false, value: 1 })
    expect(late.message).toMatch(/"cleanup" "0 3 \* \* \*" due 3\d s ago/)

    await q.sql(`update pgq.schedules set next_run = now() - interval '10 minutes' where entrypoint = 'cleanup'`)
    await q.sql(
      `insert into pgq.schedules (entrypoint, expression, next_run, status, heartbeat)
       values ('vacuum_cache', '* * * * *', now() + interval '1 minute', 'running', now() - interval '20 minutes')`,
    )
    const report = await queue.health()
    expect(failing(report)).toEqual(['schedules'])
    const stuck = check(report, 'schedules')
    expect(stuck.value).toBe(2)
    expect(stuck.message).toMatch(/"cleanup" "0 3 \* \* \*" due 60\d s ago/)
    expect(stuck.message).toMatch(/"vacuum_cache" "\* \* \* \* \*" running inline without a heartbeat for 120\d s/)
    expect(check(await queue.health({ inlineTimeout: '30m' }), 'schedules').value).toBe(1)
    // The firers' clock decides what is overdue when given.
    expect(check(await queue.health({ now: new Date(Date.now() - 3_600_000), inlineTimeout: '30m' }), 'schedules').ok).toBe(true)
  })

  it('a jobs table full of dead tuples fails the dead-tuples check until it is vacuumed', async () => {
    const producer = q.producer()
    await q.sql('alter table pgq.jobs set (autovacuum_enabled = false)')
    const session = await client(q.url)
    try {
      await session.query(`insert into pgq.jobs (entrypoint) select 'bulk' from generate_series(1, 12000)`)
      await session.query(`delete from pgq.jobs where entrypoint = 'bulk'`)
      // Statistics reach pg_stat_user_tables when the writer flushes them; ask for it now where Postgres can (15+).
      const version = Number((await session.query(`select current_setting('server_version_num') as v`)).rows[0].v)
      if (version >= 150000) await session.query('select pg_stat_force_next_flush()')
      const bloated = check(await until(() => producer.health(), (r) => !check(r, 'dead-tuples').ok), 'dead-tuples')
      expect(bloated.ok).toBe(false)
      expect(bloated.value).toBeGreaterThanOrEqual(12_000)
      expect(bloated.message).toMatch(/: 1\d{4} dead and \d+ live tuples \((99|100)% dead\)/)
      expect(bloated.message).toContain('vacuum is not keeping up')
      await session.query('vacuum pgq.jobs')
      const vacuumed = check(await until(() => producer.health(), (r) => check(r, 'dead-tuples').ok), 'dead-tuples')
      expect(vacuumed).toMatchObject({ ok: true, value: 0 })
      expect(vacuumed.message).toMatch(/last vacuumed [\d.]+ s ago/)

      // A busy queue between passes: as many dead tuples again, but vacuumed within the grace.
      await session.query(`insert into pgq.jobs (entrypoint) select 'bulk' from generate_series(1, 12000)`)
      await session.query(`delete from pgq.jobs where entrypoint = 'bulk'`)
      if (version >= 150000) await session.query('select pg_stat_force_next_flush()')
      const busy = check(await until(() => producer.health(), (r) => Number(check(r, 'dead-tuples').value) >= 12_000), 'dead-tuples')
      expect(busy.ok).toBe(true)
      expect(busy.message).toContain('vacuumed within the grace')
      // With no grace, the same table fails.
      const strict = check(await producer.health({ vacuumGrace: 0 }), 'dead-tuples')
      expect(strict.ok).toBe(false)
      expect(strict.message).toContain('vacuum is not keeping up')
    } finally {
      await session.end()
      await q.sql('alter table pgq.jobs reset (autovacuum_enabled)')
    }
  })

  it('reports a schema behind (the gate would refuse it) or not installed, and the other checks still run', async () => {
    const admin = await client(q.url)
    try {
      await migrate(admin, { schema: 'pgq_v5', to: 5 })
    } finally {
      await admin.end()
    }
    const behind = createProducer({ driver: q.driver, schema: 'pgq_v5' })
    await expect(behind.enqueue('a', null)).rejects.toBeInstanceOf(SchemaOutdatedError)
    const report = await behind.health()
    expect(failing(report)).toEqual(['schema-version'])
    expect(check(report, 'schema-version')).toMatchObject({ value: 5, message: `"pgq_v5" is at version 5, this code needs ${SCHEMA_VERSION}: run pgq upgrade` })

    const none = await createProducer({ driver: q.driver, schema: 'pgq_none' }).health()
    expect(none.healthy).toBe(false)
    expect(failing(none)).toEqual(['dead-tuples', 'expired-leases', 'schedules', 'schema-version', 'durability'])
    expect(check(none, 'schema-version').message).toBe('pgq is not installed in schema "pgq_none" (run pgq install)')
  })

  it('reports the durability level from the tables persistence', async () => {
    const level = async () => check(await q.producer().health(), 'durability')
    try {
      await q.sql('alter table pgq.log set unlogged')
      expect(await level()).toMatchObject({ ok: true, value: 'mixed', message: expect.stringContaining('mixed: unlogged log, which matches no level') })
      await q.sql('alter table pgq.statistics set unlogged')
      expect(await level()).toMatchObject({ ok: true, value: 'balanced' })
    } finally {
      await q.sql('alter table pgq.statistics set logged')
      await q.sql('alter table pgq.log set logged')
    }
    expect((await level()).value).toBe('durable')
  })

  it('refuses unknown or bad options', async () => {
    const producer = q.producer()
    await expect(producer.health({ xminAge: 'soon' })).rejects.toBeInstanceOf(ConfigurationError)
    await expect(producer.health({ lease: { resize: -1 } })).rejects.toThrow(/lease\.resize/)
    await expect(producer.health({ leaseMs: 5 } as never)).rejects.toThrow(/unknown health option "leaseMs"/)
  })
})

interface Run {
  code: number
  stdout: string
  stderr: string
}

/** The built `pgq` binary, from an unrelated cwd, without DATABASE_URL from the environment. */
function pgqBin(args: string[]): Promise<Run> {
  const { DATABASE_URL: _url, PGQ_SCHEMA: _schema, ...env } = process.env
  return new Promise((resolve) => {
    execFile(process.execPath, [PGQ_BIN, ...args], { cwd: '/', env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr })
    })
  })
}

describe('pgq doctor', () => {
  let db: TestDatabase
  let admin: pg.Client
  beforeAll(async () => {
    db = await createTestDatabase('doctor')
    admin = await client(db.url)
    await migrate(admin, {})
  })
  afterAll(async () => {
    await admin?.end()
    await db?.drop()
  })
  const doctor = (...args: string[]) => pgqBin(['doctor', '--database-url', db.url, ...args])

  it('exits 0 and prints one ok line per check when healthy', async () => {
    const run = await doctor()
    expect(run).toMatchObject({ code: 0, stderr: '' })
    const lines = run.stdout.trimEnd().split('\n')
    expect(lines.map((l) => l.split(/\s+/).slice(0, 2))).toEqual(NAMES.map((name) => ['ok', name]))
  })

  it('exits 1 with a FAIL line when a check fails, and --json prints the report', async () => {
    await admin.query(`insert into pgq.jobs (entrypoint, status, worker_id, heartbeat) values ('resize', 'picked', gen_random_uuid(), now() - interval '90 seconds')`)
    try {
      const run = await doctor()
      expect(run.code).toBe(1)
      expect(run.stdout).toMatch(/^FAIL {2}expired-leases {2}1 running jobs past their lease/m)
      expect(run.stdout.match(/^FAIL/gm)).toHaveLength(1)
      expect((await doctor('--lease', '2m')).code).toBe(0)
      const json = await doctor('--json')
      expect(json.code).toBe(1)
      const report = JSON.parse(json.stdout) as HealthReport
      expect(report.healthy).toBe(false)
      expect(check(report, 'expired-leases')).toMatchObject({ ok: false, value: 1 })
    } finally {
      await admin.query('truncate pgq.jobs')
    }
  })

  it('exits 2 for a bad flag, before connecting', async () => {
    const bad = await pgqBin(['doctor', '--database-url', 'postgresql://nobody@127.0.0.1:1/none', '--xmin-age', 'soon'])
    expect(bad).toMatchObject({ code: 2, stdout: '' })
    expect(bad.stderr).toMatch(/--xmin-age must be a duration/)
    expect((await doctor('--lease', '-5s')).code).toBe(2)
    expect((await doctor('--verbose')).code).toBe(2)
  })
})
