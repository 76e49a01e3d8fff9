import pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { readMigrationFiles } from '../src/migrations/files.js'
import { migrate, uninstall } from '../src/migrations/migrator.js'
import { verifySchema } from '../src/migrations/verify.js'
import { createTestDatabase, type TestDatabase } from './setup/database.js'

describe('verifySchema', () => {
  let db: TestDatabase
  let client: pg.Client
  const schema = 'pgq_verify'

  beforeAll(async () => {
    db = await createTestDatabase('verify')
    client = new pg.Client({ connectionString: db.url })
    await client.connect()
  })
  afterAll(async () => {
    await client?.end()
    await db?.drop()
  })
  // Each test damages a freshly installed schema.
  const install = () => migrate(client, { schema })
  afterEach(() => uninstall(client, { schema }))

  it('passes on a fresh install', async () => {
    await install()
    expect(await verifySchema(client, { schema })).toEqual({ ok: true, missing: [], problems: [] })
  })

  it('reports a missing schema once, not every object in it', async () => {
    expect(await verifySchema(client, { schema })).toEqual({ ok: false, missing: [`schema ${schema}`], problems: [] })
  })

  it('reports a column with the wrong type', async () => {
    await install()
    await client.query(`alter table ${schema}.jobs alter column priority type integer`)
    expect(await verifySchema(client, { schema })).toEqual({
      ok: false,
      missing: [],
      problems: [`column ${schema}.jobs.priority has type integer, expected smallint`],
    })
  })

  it('reports an enum column whose type lives in another schema', async () => {
    await install()
    await client.query(`create type public.job_status as enum ('queued'); alter table ${schema}.log drop column status;
      alter table ${schema}.log add column status public.job_status not null`)
    try {
      const result = await verifySchema(client, { schema })
      expect(result.problems).toEqual([`column ${schema}.log.status has type public.job_status, expected ${schema}.job_status`])
    } finally {
      await client.query(`alter table ${schema}.log drop column status; drop type public.job_status`)
    }
  })

  it('reports a changed index predicate and uniqueness, and a disabled trigger', async () => {
    await install()
    await client.query(`
      drop index ${schema}.jobs_picked_heartbeat_idx;
      create unique index jobs_picked_heartbeat_idx on ${schema}.jobs (entrypoint, heartbeat) where status = 'queued';
      alter table ${schema}.jobs disable trigger jobs_notify_inserted`)
    const result = await verifySchema(client, { schema })
    expect(result.missing).toEqual([])
    expect(result.problems).toEqual([
      `index ${schema}.jobs_picked_heartbeat_idx is unique, expected not unique`,
      expect.stringMatching(new RegExp(`^index ${schema}.jobs_picked_heartbeat_idx has predicate .*queued.*, expected status = 'picked'$`)),
      `trigger jobs_notify_inserted on ${schema}.jobs is disabled`,
    ])
  })

  it('reports a missing table, constraint, enum and migrations table', async () => {
    await install()
    await client.query(`
      drop table ${schema}.statistics;
      alter table ${schema}.schedules drop constraint schedules_entrypoint_expression_key;
      alter table ${schema}.schedules drop column status; drop type ${schema}.schedule_status;
      drop table ${schema}.pgq_migrations`)
    expect(await verifySchema(client, { schema })).toEqual({
      ok: false,
      missing: [
        `enum ${schema}.schedule_status`,
        `column ${schema}.schedules.status`,
        `unique constraint ${schema}.schedules_entrypoint_expression_key on ${schema}.schedules`,
        `table ${schema}.statistics`,
        `table ${schema}.pgq_migrations`,
      ],
      problems: [],
    })
  })

  it('expects the functions and triggers that the migration SQL creates', async () => {
    await install()
    // A later migration that drops the trigger means verify no longer expects it.
    const files = readMigrationFiles()
    const dropping = [...files, { version: files.length + 1, tag: '9999_drop', hash: 'x', statements: ['DROP TRIGGER jobs_notify_inserted ON "pgq"."jobs"'] }]
    await client.query(`drop trigger jobs_notify_inserted on ${schema}.jobs; drop function ${schema}.claim_jobs`)
    const result = await verifySchema(client, { schema, migrations: dropping })
    expect(result.missing).toEqual([`function ${schema}.claim_jobs()`, `migration 9999_drop (version ${files.length + 1} is not applied)`])
  })
})
