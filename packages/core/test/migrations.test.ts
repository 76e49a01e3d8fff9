import { execFile } from 'node:child_process'
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { nodePostgresDriver } from '../src/driver/node-postgres/index.js'
import { SchemaOutdatedError } from '../src/errors.js'
import { defaultMigrationsFolder, readMigrationFiles } from '../src/migrations/files.js'
import { appliedVersions, migrate } from '../src/migrations/migrator.js'
import { SCHEMA_VERSION } from '../src/schema/version.js'
import { createConsumer } from '../src/queue/consumer.js'
import { createProducer } from '../src/runtime/producer.js'
import { createTestDatabase, pgPool, type TestDatabase } from './setup/database.js'

const run = promisify(execFile)
const repoRoot = resolve(import.meta.dirname, '../../..')
const MIGRATIONS = readMigrationFiles()

describe('migrations', () => {
  let db: TestDatabase
  let pool: pg.Pool
  const withClient = async <T>(f: (c: pg.PoolClient) => Promise<T>) => {
    const c = await pool.connect()
    try {
      return await f(c)
    } finally {
      c.release()
    }
  }

  beforeAll(async () => {
    db = await createTestDatabase('migrations')
    pool = pgPool(db.url, { max: 6 })
  })
  afterAll(async () => {
    await pool.end()
    await db.drop()
  })

  it('SCHEMA_VERSION matches the drizzle journal', () => {
    expect(readMigrationFiles()).toHaveLength(SCHEMA_VERSION)
  })

  it('upgrades from the first migration with the queued jobs intact', async () => {
    const schema = 'upgrade_path'
    expect(await withClient((c) => migrate(c, { schema, to: 1 }))).toMatchObject({ applied: ['0000_init'], version: 1 })
    await pool.query(
      `insert into upgrade_path.jobs (entrypoint, payload, priority, dedupe_key)
       select 'old', jsonb_build_object('n', n), n % 3, 'key-' || n from generate_series(1, 25) n`,
    )
    const driver = nodePostgresDriver({ connectionString: db.url, max: 2 })
    try {
      const producer = createProducer({ driver, schema })
      const behind = await producer.enqueue('new', {}).catch((e: unknown) => e)
      expect(behind).toBeInstanceOf(SchemaOutdatedError)
      expect((behind as Error).message).toMatch(new RegExp(`version 1, this code needs version ${SCHEMA_VERSION}.*Run \`pgq upgrade\``))

      expect(await withClient((c) => migrate(c, { schema }))).toMatchObject({
        applied: MIGRATIONS.slice(1).map((m) => m.tag),
        version: SCHEMA_VERSION,
      })
      // Each later claim_jobs replaced the one before rather than adding an overload.
      const claims = await pool.query(`select pronargs from pg_proc where proname = 'claim_jobs' and pronamespace = 'upgrade_path'::regnamespace`)
      expect(claims.rows).toEqual([{ pronargs: 5 }])
      const rows = await pool.query('select entrypoint, payload, priority, dedupe_key, status from upgrade_path.jobs order by id')
      expect(rows.rows).toHaveLength(25)
      expect(rows.rows[4]).toEqual({ entrypoint: 'old', payload: { n: 5 }, priority: 2, dedupe_key: 'key-5', status: 'queued' })
      await expect(producer.enqueue('new', {})).resolves.toBeGreaterThan(25)
      expect(await producer.enqueue('x', 1, { dedupeKey: 'key-5', onConflict: 'skip' })).toBeNull()
      // The old jobs are claimable through the upgraded function, and got the default policy.
      const claimed = await createConsumer({ driver, schema, workerId: crypto.randomUUID() }).claim(30, [
        { name: 'old', cap: 30, retryAfterMs: 0 },
      ])
      expect(claimed).toHaveLength(25)
      expect(claimed.every((j) => j.maxAttempts === 1 && j.onExhausted === 'hold')).toBe(true)
    } finally {
      await driver.end()
    }
  })

  it('is safe to run twice and from several sessions at once', async () => {
    const schema = 'concurrent'
    const results = await Promise.all([1, 2, 3, 4].map(() => withClient((c) => migrate(c, { schema }))))
    expect(results.flatMap((r) => r.applied).sort()).toEqual(MIGRATIONS.map((m) => m.tag))
    expect(await withClient((c) => migrate(c, { schema }))).toMatchObject({ applied: [], version: SCHEMA_VERSION })
    expect((await withClient((c) => appliedVersions(c, schema))).map((v) => v.version)).toEqual(MIGRATIONS.map((m) => m.version))
  })

  it('installs side by side in two schemas that do not see each other', async () => {
    await withClient((c) => migrate(c, { schema: 'app_one' }))
    await withClient((c) => migrate(c, { schema: 'app_two' }))
    const driver = nodePostgresDriver({ connectionString: db.url, max: 2 })
    try {
      const one = createProducer({ driver, schema: 'app_one' })
      const two = createProducer({ driver, schema: 'app_two' })
      await one.enqueue('a', 1, { dedupeKey: 'shared' })
      await two.enqueue('a', 2, { dedupeKey: 'shared' }) // another app's key is no duplicate
      expect(await one.queueSize()).toEqual([{ entrypoint: 'a', status: 'queued', priority: 0, count: 1 }])
      expect(await two.queueSize()).toEqual([{ entrypoint: 'a', status: 'queued', priority: 0, count: 1 }])
      const triggers = await pool.query(
        `select event_object_schema as schema from information_schema.triggers where trigger_name = 'jobs_notify_inserted' and event_object_schema like 'app_%' order by 1`,
      )
      expect(triggers.rows).toEqual([{ schema: 'app_one' }, { schema: 'app_two' }])
    } finally {
      await driver.end()
    }
  })

  it('tells the user to install when the schema is absent', async () => {
    const driver = nodePostgresDriver({ connectionString: db.url, max: 1 })
    try {
      const error = await createProducer({ driver, schema: 'never_installed' }).enqueue('a', 1).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(SchemaOutdatedError)
      expect((error as Error).message).toMatch(/pgq upgrade.*pgq install/)
    } finally {
      await driver.end()
    }
  })

  it('refuses a schema name that is not a plain identifier', async () => {
    await expect(withClient((c) => migrate(c, { schema: 'bad"; drop table x; --' }))).rejects.toThrow(/invalid schema name/)
  })

  it('the package ships exactly the top-level drizzle/ migrations (the build copies them)', () => {
    expect(defaultMigrationsFolder()).toBe(join(repoRoot, 'packages/core/migrations/'))
    expect(readMigrationFiles()).toEqual(readMigrationFiles(join(repoRoot, 'drizzle')))
    expect(readMigrationFiles()).toHaveLength(SCHEMA_VERSION)
  })

  it('the committed SQL matches the Drizzle schema (drizzle-kit finds nothing to generate)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pgq-drizzle-check-'))
    try {
      cpSync(join(repoRoot, 'drizzle'), out, { recursive: true })
      const config = join(out, 'drizzle.config.ts')
      writeFileSync(
        config,
        `export default { dialect: 'postgresql', schema: ${JSON.stringify(join(repoRoot, 'packages/core/src/schema/index.ts'))}, out: '.', schemaFilter: ['pgq'] }\n`,
      )
      const before = readdirSync(out).sort()
      const { stdout, stderr } = await run(join(repoRoot, 'node_modules/.bin/drizzle-kit'), ['generate', '--config', config], { cwd: out })
      expect(stdout + stderr).toMatch(/No schema changes/)
      expect(readdirSync(out).sort()).toEqual(before)
      // And the snapshot drizzle-kit compared against is the one the SQL was generated with.
      const journal = JSON.parse(readFileSync(join(out, 'meta/_journal.json'), 'utf8'))
      expect(journal.entries).toHaveLength(SCHEMA_VERSION)
    } finally {
      rmSync(out, { recursive: true, force: true })
    }
  })
})
