// The real `pgq` binary (dist/cli/main.js, built by pretest), spawned with node against fresh databases.
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'
import { readMigrationFiles } from '../src/migrations/files.js'
import { createTestDatabase, type TestDatabase } from './setup/database.js'

const BIN = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url))
const MIGRATIONS = readMigrationFiles()

interface Run {
  code: number
  stdout: string
  stderr: string
}

/** Runs `node dist/cli/main.js ...args` from an unrelated cwd, with only the env we pass. */
function pgq(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const { DATABASE_URL: _url, PGQ_SCHEMA: _schema, ...inherited } = process.env
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: '/', env: { ...inherited, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0
      resolve({ code, stdout, stderr })
    })
  })
}

describe('pgq CLI', () => {
  const dbs: TestDatabase[] = []
  afterEach(async () => {
    await Promise.all(dbs.splice(0).map((db) => db.drop()))
  })
  async function freshDb() {
    const db = await createTestDatabase('cli')
    dbs.push(db)
    const sql = async (text: string, params?: unknown[]) => {
      const client = new pg.Client({ connectionString: db.url })
      await client.connect()
      try {
        return (await client.query(text, params)).rows
      } finally {
        await client.end()
      }
    }
    return { url: db.url, sql, run: (...args: string[]) => pgq([...args, '--database-url', db.url]) }
  }
  const schemaExists = async (sql: (t: string, p?: unknown[]) => Promise<unknown[]>, name: string) =>
    (await sql('select 1 from pg_namespace where nspname = $1', [name])).length === 1

  it('installs, then verify says ok', async () => {
    const db = await freshDb()
    const install = await db.run('install')
    expect(install).toMatchObject({ code: 0, stderr: '' })
    for (const m of MIGRATIONS) expect(install.stdout).toContain(`applied ${m.tag}`)
    expect(await db.run('verify')).toEqual({ code: 0, stdout: 'ok\n', stderr: '' })
  })

  it('refuses a second install and points to pgq upgrade', async () => {
    const db = await freshDb()
    expect((await db.run('install')).code).toBe(0)
    const again = await db.run('install')
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/already installed in schema "pgq".*use `pgq upgrade`/)
    expect(again.stderr.trim().split('\n')).toHaveLength(1)
  })

  it('two installs at once: only the one that began the install says "installed"', async () => {
    const db = await freshDb()
    // Hold the migrator's lock so that both installs queue behind it, then let them go.
    const holder = new pg.Client({ connectionString: db.url })
    await holder.connect()
    try {
      await holder.query('begin')
      await holder.query(`select pg_advisory_xact_lock(hashtext('pgq-migrate'), hashtext('pgq'))`)
      const runs = [db.run('install'), db.run('install')]
      const waiting = async () =>
        Number((await holder.query(`select count(*) as n from pg_locks where locktype = 'advisory' and not granted`)).rows[0].n)
      while ((await waiting()) < 2) await new Promise((r) => setTimeout(r, 20))
      await holder.query('commit')
      const results = await Promise.all(runs)
      const began = results.filter((r) => r.stdout.includes('installed pgq in schema "pgq"'))
      expect(began).toHaveLength(1)
      expect(began[0]?.code).toBe(0)
      const other = results.find((r) => r !== began[0])
      expect(other?.code).toBe(1)
      expect(other?.stderr).toMatch(/another session was installing pgq in schema "pgq" at the same time|already installed in schema "pgq"/)
      expect(await db.run('verify')).toEqual({ code: 0, stdout: 'ok\n', stderr: '' })
    } finally {
      await holder.end()
    }
  })

  it('upgrade applies what is pending, then says it is up to date', async () => {
    const db = await freshDb()
    const first = await db.run('upgrade')
    expect(first.code).toBe(0)
    expect(first.stdout).toContain(`applied ${MIGRATIONS.at(-1)?.tag}`)
    const second = await db.run('upgrade')
    expect(second).toMatchObject({ code: 0, stderr: '' })
    expect(second.stdout).toMatch(/already up to date/)
    expect(second.stdout).not.toContain('applied')
  })

  it('two concurrent upgrades both succeed and record each migration once', async () => {
    const db = await freshDb()
    const [a, b] = await Promise.all([db.run('upgrade'), db.run('upgrade')])
    expect([a?.code, b?.code]).toEqual([0, 0])
    // The advisory lock serialises them: each migration is applied by one of them. (The one
    // adding an enum value commits on its own, so the other may take the rest from there.)
    const applied = [a, b].flatMap((r) => [...r!.stdout.matchAll(/^applied (\S+)$/gm)].map((m) => m[1]))
    expect(applied.sort()).toEqual(MIGRATIONS.map((m) => m.tag).sort())
    const rows = await db.sql('select version, count(*)::int as n from pgq.pgq_migrations group by version order by version')
    expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, n: 1 })))
    expect((await db.run('verify')).code).toBe(0)
  })

  it('verify names every missing or altered object', async () => {
    const db = await freshDb()
    expect((await db.run('install')).code).toBe(0)
    const last = MIGRATIONS.at(-1)
    await db.sql(`
      alter table pgq.jobs drop column worker_id;
      drop index pgq.log_status_created_idx;
      drop trigger jobs_notify_inserted on pgq.jobs;
      drop function pgq.reject_duplicate_jobs(text[]);
      alter type pgq.schedule_status rename value 'running' to 'busy';
      alter table pgq.log alter column entrypoint drop not null;
      delete from pgq.pgq_migrations where version = ${last?.version}`)
    const result = await db.run('verify')
    expect(result.code).toBe(1)
    const lines = result.stdout.trim().split('\n').sort()
    expect(lines).toEqual(
      [
        'missing: column pgq.jobs.worker_id',
        'missing: index pgq.log_status_created_idx on pgq.log',
        'missing: trigger jobs_notify_inserted on pgq.jobs',
        'missing: function pgq.reject_duplicate_jobs()',
        "missing: enum label 'running' of pgq.schedule_status",
        `missing: migration ${last?.tag} (version ${last?.version} is not applied)`,
        'problem: column pgq.log.entrypoint is nullable, expected NOT NULL',
      ].sort(),
    )
  })

  it('verify flags a migration whose file changed after it was applied', async () => {
    const db = await freshDb()
    expect((await db.run('install')).code).toBe(0)
    await db.sql(`update pgq.pgq_migrations set hash = 'edited' where version = 1`)
    const result = await db.run('verify')
    expect(result.code).toBe(1)
    expect(result.stdout).toBe(`problem: migration ${MIGRATIONS[0]?.tag} was applied with a different hash: its SQL file was edited after it ran\n`)
  })

  it('uninstall refuses without --yes and drops the schema with it', async () => {
    const db = await freshDb()
    expect((await db.run('install')).code).toBe(0)
    const refused = await db.run('uninstall')
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/refusing .*without --yes/)
    expect(await schemaExists(db.sql, 'pgq')).toBe(true)

    expect(await db.run('uninstall', '--yes')).toMatchObject({ code: 0, stdout: 'dropped schema "pgq"\n' })
    expect(await schemaExists(db.sql, 'pgq')).toBe(false)
    expect((await db.run('verify')).stdout).toBe('missing: schema pgq\n')
  })

  it('uninstall will not drop a schema pgq did not create', async () => {
    const db = await freshDb()
    await db.sql('create table public.keep_me (id int)')
    const result = await db.run('uninstall', '--yes', '--schema', 'public')
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/no pgq_migrations table/)
    expect(await db.sql('select 1 from public.keep_me')).toEqual([])
  })

  it('exits 2 asking for a database URL when there is none', async () => {
    for (const command of ['install', 'upgrade', 'verify', 'uninstall']) {
      const result = await pgq([command])
      expect(result.code).toBe(2)
      expect(result.stderr).toMatch(/--database-url .*or set DATABASE_URL/)
      expect(result.stdout).toBe('')
    }
  })

  it('reads DATABASE_URL and PGQ_SCHEMA from the environment', async () => {
    const db = await freshDb()
    expect((await pgq(['install'], { DATABASE_URL: db.url, PGQ_SCHEMA: 'from_env' })).code).toBe(0)
    expect(await schemaExists(db.sql, 'from_env')).toBe(true)
    expect(await pgq(['verify'], { DATABASE_URL: db.url, PGQ_SCHEMA: 'from_env' })).toMatchObject({ code: 0, stdout: 'ok\n' })
  })

  it('installs into a custom --schema and verifies it while the default schema stays absent', async () => {
    const db = await freshDb()
    expect((await db.run('install', '--schema', 'other')).code).toBe(0)
    expect(await db.run('verify', '--schema', 'other')).toMatchObject({ code: 0, stdout: 'ok\n' })
    expect(await schemaExists(db.sql, 'pgq')).toBe(false)
    expect(await db.run('verify')).toMatchObject({ code: 1, stdout: 'missing: schema pgq\n' })
  })

  it('prints one line without a stack when it cannot connect', async () => {
    const result = await pgq(['verify', '--database-url', 'postgresql://postgres@127.0.0.1:1/none'])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^pgq: could not connect to the database: .*ECONNREFUSED.*\n$/)
  })

  it('rejects an invalid schema name before connecting', async () => {
    const result = await pgq(['verify', '--schema', 'Bad-Name', '--database-url', 'postgresql://127.0.0.1:1/none'])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/invalid schema name "Bad-Name"/)
  })

  it('prints its version, its help and each command\'s help', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
    for (const flag of ['--version', '-V']) expect(await pgq([flag])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' })
    const help = await pgq(['--help'])
    expect(help.code).toBe(0)
    for (const command of ['install', 'upgrade', 'verify', 'uninstall', 'proxy']) expect(help.stdout).toMatch(new RegExp(`^  ${command} +\\S`, 'm'))
    const proxyHelp = await pgq(['proxy', '--help'])
    expect(proxyHelp).toMatchObject({ code: 0, stderr: '' })
    expect(proxyHelp.stdout).toMatch(/^Usage: pgq proxy \[options\]/)
    expect(proxyHelp.stdout).toMatch(/--max-connections <n> +most sessions at once \(default: 100\)/)
    expect(await pgq(['help', 'verify'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/--database-url <url>/) })
  })

  it('exits 2 on an unknown command, an unknown flag or a missing flag value, touching nothing', async () => {
    const unknownCommand = await pgq(['instal'])
    expect(unknownCommand).toMatchObject({ code: 2, stdout: '' })
    expect(unknownCommand.stderr).toMatch(/unknown command "instal"; the commands are install, upgrade/)
    const unknownFlag = await pgq(['install', '--databse-url', 'postgresql://127.0.0.1:1/none'])
    expect(unknownFlag).toMatchObject({ code: 2, stdout: '' })
    expect(unknownFlag.stderr).toMatch(/Unknown option '--databse-url' \(see pgq install --help\)/)
    const missingValue = await pgq(['verify', '--database-url'])
    expect(missingValue.code).toBe(2)
    expect(missingValue.stderr).toMatch(/--database-url/)
    const none = await pgq([])
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/^Usage: pgq <command>/)
  })
})
