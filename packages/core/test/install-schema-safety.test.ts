// pgq uninstall drops its schema whole, so pgq installs only into a schema that is new or
// empty, and uninstall refuses a schema holding tables pgq did not make. Through the real CLI.
import pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'
import { migrate, uninstall } from '../src/migrations/migrator.js'
import { createTestDatabase, type TestDatabase } from './setup/database.js'
import { pgqCli } from './support/pgq-cli.js'

describe('the schema pgq installs into and drops', () => {
  const dbs: TestDatabase[] = []
  afterEach(async () => {
    await Promise.all(dbs.splice(0).map((db) => db.drop()))
  })
  async function freshDb() {
    const db = await createTestDatabase('schema_safety')
    dbs.push(db)
    const sql = async (text: string) => {
      const client = new pg.Client({ connectionString: db.url })
      await client.connect()
      try {
        return (await client.query(text)).rows
      } finally {
        await client.end()
      }
    }
    const run = (...args: string[]) => pgqCli(args, { env: { DATABASE_URL: db.url } })
    return { db, sql, run }
  }

  it("refuses to install into a schema holding someone else's objects, and writes nothing there", async () => {
    const { sql, run } = await freshDb()
    await sql('create schema app_data; create table app_data.orders (id serial primary key); create table public.my_app_users (id int)')
    for (const schema of ['app_data', 'public']) {
      const result = await run('install', '--schema', schema)
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(new RegExp(`schema "${schema}" already holds objects pgq did not make \\(table (orders|my_app_users)\\): install pgq into a schema of its own`))
      expect(result.stderr).not.toMatch(/\n\s+at /) // no stack trace
    }
    expect(await sql("select table_schema, table_name from information_schema.tables where table_schema in ('app_data', 'public') order by 2")).toEqual([
      { table_schema: 'public', table_name: 'my_app_users' },
      { table_schema: 'app_data', table_name: 'orders' },
    ])
    // An empty schema made beforehand (by a DBA, with the right owner) is fine.
    await sql('create schema queue_only')
    expect(await run('install', '--schema', 'queue_only')).toMatchObject({ code: 0, stdout: expect.stringContaining('installed pgq in schema "queue_only"') })
  })

  it("uninstall refuses a pgq schema that holds a table pgq did not make, and drops a pure one", async () => {
    const { sql, run } = await freshDb()
    expect((await run('install')).code).toBe(0)
    await sql('create table pgq.my_report (id int)')
    const refused = await run('uninstall', '--yes')
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('schema "pgq" also holds objects pgq did not make (table my_report): move or drop them first; nothing was dropped')
    expect(await sql("select count(*)::int as n from information_schema.tables where table_schema = 'pgq'")).not.toEqual([{ n: 0 }])
    await sql('drop table pgq.my_report')
    expect(await run('uninstall', '--yes')).toMatchObject({ code: 0, stdout: 'dropped schema "pgq"\n' })
  })

  it("refuses PostgreSQL's own schema names before connecting", async () => {
    const { run } = await freshDb()
    for (const schema of ['pg_catalog', 'pg_temp', 'information_schema']) {
      const result = await run('install', '--schema', schema)
      expect(result.code).toBe(2)
      expect(result.stderr).toContain(`schema name "${schema}" belongs to PostgreSQL itself: choose another (the default is pgq)`)
    }
  })

  it('the library migrate() and uninstall() hold to the same rules', async () => {
    const { db, sql } = await freshDb()
    await sql('create schema shared; create function shared.helper() returns int language sql as $$ select 1 $$')
    const client = new pg.Client({ connectionString: db.url })
    await client.connect()
    try {
      await expect(migrate(client, { schema: 'shared' })).rejects.toThrow(/already holds objects pgq did not make \(function helper\)/)
      await migrate(client, { schema: 'own' })
      await sql('create view own.pending as select 1 as x')
      await expect(uninstall(client, { schema: 'own' })).rejects.toThrow(/also holds objects pgq did not make \(view pending\)/)
    } finally {
      await client.end()
    }
  })
})
