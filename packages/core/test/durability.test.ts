// Durability levels: which tables each level makes UNLOGGED (relpersistence of tables, indexes,
// TOAST and sequences), that the queue works at every level, and the `pgq durability` command.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ConfigurationError, SchemaOutdatedError } from '../src/errors.js'
import { DURABILITY_LEVELS, type DurabilityLevel, readDurability, setDurability } from '../src/migrations/durability.js'
import { verifySchema } from '../src/migrations/verify.js'
import { useQueueDatabase } from './support/queue-database.js'
import { queueOn } from './support/runtime.js'

const BIN = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url))
const SCHEMA = 'pgq_durability'
const ALL_TABLES = ['dedupe_windows', 'entrypoints', 'job_dependencies', 'jobs', 'leases', 'log', 'pgq_migrations', 'rate_limits', 'schedules', 'statistics']
const UNLOGGED: Record<DurabilityLevel, string[]> = { durable: [], balanced: ['log', 'statistics'], volatile: ['jobs', 'log', 'statistics', 'job_dependencies'] }

/** Runs the built `pgq` binary with only the env we pass. */
function pgq(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { DATABASE_URL: _url, PGQ_SCHEMA: _schema, ...inherited } = process.env
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: '/', env: inherited, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr })
    })
  })
}

describe('durability levels', () => {
  const q = useQueueDatabase('durability', 'node-postgres', SCHEMA)
  let client: pg.Client
  beforeAll(async () => {
    client = new pg.Client({ connectionString: q.url })
    await client.connect()
  })
  afterAll(() => client?.end())
  beforeEach(async () => {
    await setDurability(client, 'durable', { schema: SCHEMA })
    await q.reset()
    await q.sql(`truncate ${SCHEMA}.statistics`)
  })

  /** Every table of the schema, with its indexes, TOAST table and owned sequences, and their relpersistence. */
  async function relations() {
    return (await q.sql(
      `select c.relname as "table", r.name, r.kind, r.persistence
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       cross join lateral (
         select c.relname as name, 'table' as kind, c.relpersistence as persistence
         union all select i.relname, 'index', i.relpersistence from pg_index x join pg_class i on i.oid = x.indexrelid where x.indrelid = c.oid
         union all select t.relname, 'toast', t.relpersistence from pg_class t where t.oid = c.reltoastrelid
         union all select s.relname, 'sequence', s.relpersistence from pg_depend d join pg_class s on s.oid = d.objid
           where d.classid = 'pg_class'::regclass and d.refobjid = c.oid and s.relkind = 'S'
       ) r
       where n.nspname = $1 and c.relkind = 'r'`,
      [SCHEMA],
    )) as { table: string; name: string; kind: string; persistence: string }[]
  }

  /** Tables -> 'u' or 'p'; and whatever does not follow the rule (indexes and TOAST like their table, sequences logged). */
  async function persistence(level: DurabilityLevel) {
    const rows = await relations()
    const tables = Object.fromEntries(rows.filter((r) => r.kind === 'table').map((r) => [r.table, r.persistence]))
    const expected = (r: (typeof rows)[number]) => (r.kind !== 'sequence' && UNLOGGED[level].includes(r.table) ? 'u' : 'p')
    const wrong = rows.filter((r) => r.persistence !== expected(r)).map((r) => `${r.kind} ${r.name} of ${r.table}: ${r.persistence}`)
    return { tables, wrong, kinds: new Set(rows.map((r) => `${r.table}.${r.kind}`)) }
  }
  const expectedTables = (level: DurabilityLevel) => Object.fromEntries(ALL_TABLES.map((t) => [t, UNLOGGED[level].includes(t) ? 'u' : 'p']))

  it('a fresh install is durable: every table, index and sequence logged', async () => {
    expect(await readDurability(client, { schema: SCHEMA })).toBe('durable')
    const found = await persistence('durable')
    expect(found.tables).toEqual(expectedTables('durable'))
    expect(found.wrong).toEqual([])
    // The checks cover what can go wrong: the jobs table has indexes, a TOAST table and its id sequence.
    for (const kind of ['jobs.index', 'jobs.toast', 'jobs.sequence', 'log.sequence', 'statistics.index']) expect(found.kinds).toContain(kind)
  })

  it.each(DURABILITY_LEVELS)('%s: sets each table, its indexes and TOAST; sequences stay logged; the queue works', async (level) => {
    const queue = queueOn(q.driver, { schema: SCHEMA }).entrypoint('work', { maxAttempts: 1, onFailure: 'hold' }, (job: { payload: { fail: boolean } }) => {
      if (job.payload.fail) throw new Error('held on purpose')
    })
    const before = await queue.enqueue('work', { fail: false }, { delay: 3_600_000 }) // waits through the switch

    const result = await setDurability(client, level, { schema: SCHEMA })
    expect(result).toEqual({ level, changed: UNLOGGED[level].map((t) => `${SCHEMA}.${t}`) })
    expect(await readDurability(client, { schema: SCHEMA })).toBe(level)
    const found = await persistence(level)
    expect(found.tables).toEqual(expectedTables(level))
    expect(found.wrong).toEqual([])
    // A durability level is a setting, not drift: verify still passes.
    expect(await verifySchema(client, { schema: SCHEMA })).toEqual({ ok: true, missing: [], problems: [] })

    // The rewrite kept the rows and the sequence's position.
    expect((await queue.job(before))?.status).toBe('queued')
    const ids = await queue.enqueueMany(Array.from({ length: 100 }, (_, n) => ({ entrypoint: 'work' as const, payload: { fail: n === 0 } })))
    expect(Math.min(...(ids as number[]))).toBeGreaterThan(before)
    const summary = await queue.drain({ batchSize: 30, timeBudget: 10_000 })
    expect(summary).toMatchObject({ claimed: 100, succeeded: 99, failed: 1, lost: 0, remaining: 0 })
    expect(await queue.status([ids[0] as number, ids[1] as number])).toMatchObject([{ status: 'failed' }, { status: 'successful' }])
    expect(await q.sql(`select status::text, count(*)::int as n from ${SCHEMA}.log group by 1 order by 1`)).toEqual([
      { status: 'failed', n: 1 },
      { status: 'successful', n: 99 },
    ])
    const buckets = await queue.statistics()
    expect(buckets.reduce((sum, b) => sum + b.count, 0)).toBe(100)
    expect((await queue.job(before))?.status).toBe('queued')
    await queue.close()
  })

  it('repeating a level changes nothing; switching back to durable restores every table, with its rows', async () => {
    const queue = queueOn(q.driver, { schema: SCHEMA }).entrypoint('work', () => undefined)
    await queue.enqueueMany(Array.from({ length: 20 }, () => ({ entrypoint: 'work' as const, payload: 'x'.repeat(5000) }))) // TOASTed
    await queue.drain({ timeBudget: 10_000 })
    const kept = await queue.enqueue('work', 'later', { delay: 3_600_000 })

    expect((await setDurability(client, 'volatile', { schema: SCHEMA })).changed).toHaveLength(4)
    expect(await setDurability(client, 'volatile', { schema: SCHEMA })).toEqual({ level: 'volatile', changed: [] })
    expect(await setDurability(client, 'balanced', { schema: SCHEMA })).toEqual({ level: 'balanced', changed: [`${SCHEMA}.jobs`, `${SCHEMA}.job_dependencies`] })
    expect(await setDurability(client, 'durable', { schema: SCHEMA })).toEqual({
      level: 'durable',
      changed: [`${SCHEMA}.log`, `${SCHEMA}.statistics`],
    })
    expect(await readDurability(client, { schema: SCHEMA })).toBe('durable')
    const found = await persistence('durable')
    expect(found.tables).toEqual(expectedTables('durable'))
    expect(found.wrong).toEqual([])
    expect(await q.sql(`select count(*)::int as n from ${SCHEMA}.log where status = 'successful'`)).toEqual([{ n: 20 }])
    expect(await queue.job(kept)).toMatchObject({ status: 'queued', payload: 'later' })
    await queue.close()
  })

  it('refuses an unknown level with a ConfigurationError naming the field and the levels, and changes nothing', async () => {
    await setDurability(client, 'balanced', { schema: SCHEMA })
    const attempt = setDurability(client, 'fast' as DurabilityLevel, { schema: SCHEMA })
    await expect(attempt).rejects.toBeInstanceOf(ConfigurationError)
    await expect(attempt).rejects.toThrow(`level must be one of 'durable', 'balanced', 'volatile', got "fast"`)
    expect(await readDurability(client, { schema: SCHEMA })).toBe('balanced')
    expect((await persistence('balanced')).wrong).toEqual([])
    expect((await client.query('select pg_current_xact_id_if_assigned() is null as idle')).rows).toEqual([{ idle: true }]) // no transaction left open
  })

  it("reads 'mixed' when the tables match no level, and setting a level repairs them (sequences too)", async () => {
    await q.sql(`alter table ${SCHEMA}.log set unlogged`) // Postgres 15+: its identity sequence follows
    await q.sql(`alter table ${SCHEMA}.schedules set unlogged`)
    expect(await readDurability(client, { schema: SCHEMA })).toBe('mixed')
    const result = await setDurability(client, 'balanced', { schema: SCHEMA })
    expect(result.changed.sort()).toEqual([`${SCHEMA}.log_id_seq`, `${SCHEMA}.schedules`, `${SCHEMA}.schedules_id_seq`, `${SCHEMA}.statistics`])
    expect(await readDurability(client, { schema: SCHEMA })).toBe('balanced')
    expect((await persistence('balanced')).wrong).toEqual([])
  })

  it('switches while a worker drains: the worker waits for the lock, nothing is lost', async () => {
    let open: () => void = () => undefined
    const gate = new Promise<void>((resolve) => (open = resolve))
    // One job holds its slot until the switch is done, so the drain is certainly still running.
    const queue = queueOn(q.driver, { schema: SCHEMA }).entrypoint('work', (job: { payload: { hold: boolean } }) => (job.payload.hold ? gate : undefined))
    const errors: unknown[] = []
    queue.on('worker:error', ({ error }) => void errors.push(error))
    await queue.enqueue('work', { hold: true }, { priority: 10 })
    await queue.enqueueMany(Array.from({ length: 5000 }, () => ({ entrypoint: 'work' as const, payload: { hold: false } })))
    const held = new Promise<void>((resolve) => queue.on('job:started', ({ job }) => (job.payload as { hold: boolean }).hold && resolve()))
    let drained = false
    const draining = queue.drain({ batchSize: 50, maxConcurrentTasks: 100, timeBudget: 30_000 }).finally(() => (drained = true))
    await Promise.race([held, draining])
    const switched = await setDurability(client, 'volatile', { schema: SCHEMA })
    expect(drained).toBe(false)
    open()
    const summary = await draining
    expect(switched.changed).toHaveLength(4)
    expect(errors).toEqual([])
    expect(summary).toMatchObject({ succeeded: 5001, lost: 0, remaining: 0 })
    expect(await readDurability(client, { schema: SCHEMA })).toBe('volatile')
    await queue.close()
  })

  it('reports a schema where pgq is not installed', async () => {
    await expect(readDurability(client, { schema: 'pgq_nowhere' })).rejects.toBeInstanceOf(SchemaOutdatedError)
    await expect(setDurability(client, 'volatile', { schema: 'pgq_nowhere' })).rejects.toThrow(/pgq is not installed in schema "pgq_nowhere"/)
  })

  it('pgq durability prints the level, sets one and prints what changed; a bad level is a usage error', async () => {
    const run = (...args: string[]) => pgq(['durability', '--database-url', q.url, '--schema', SCHEMA, ...args])
    expect(await run()).toEqual({ code: 0, stdout: 'durable\n', stderr: '' })
    expect(await run('--level', 'balanced')).toEqual({
      code: 0,
      stdout: `${SCHEMA}.log: unlogged\n${SCHEMA}.statistics: unlogged\nschema "${SCHEMA}" is now balanced\n`,
      stderr: '',
    })
    expect(await run()).toEqual({ code: 0, stdout: 'balanced\n', stderr: '' })
    expect(await run('--level', 'balanced')).toEqual({ code: 0, stdout: `schema "${SCHEMA}" is already balanced\n`, stderr: '' })
    expect(await run('--level', 'durable')).toMatchObject({ code: 0, stdout: expect.stringContaining(`${SCHEMA}.log: logged\n`) })

    const bad = await run('--level', 'unlogged')
    expect(bad).toEqual({ code: 2, stdout: '', stderr: `pgq: --level must be one of 'durable', 'balanced', 'volatile', got "unlogged"\n` })
    expect(await readDurability(client, { schema: SCHEMA })).toBe('durable')

    await q.sql(`alter table ${SCHEMA}.jobs set unlogged`)
    const mixed = await run()
    expect(mixed.code).toBe(1)
    expect(mixed.stdout).toMatch(new RegExp(`^mixed: unlogged ${SCHEMA}\\.jobs;`))
  })
})
