// 1. A plain Node ESM consumer: the installed `pgq` bin manages the schema, and app.mjs
// enqueues and drains 100 jobs over node-postgres.
import { expect, it } from 'vitest'
import { expectSuccess, freshDatabase, inProject, lastJsonLine, pgqInstall, tarballs } from './support.ts'

// `--`: after --no, npx would take --version and --help for its own.
const pgq = (...args: string[]) => inProject('npx', ['--no', '--', 'pgq', ...args])

it('pgq --version prints the package version, --help the commands', async () => {
  expect(expectSuccess(await pgq('--version')).stdout.trim()).toBe(tarballs.core.version)
  const help = expectSuccess(await pgq('--help')).stdout
  expect(help).toContain('Usage: pgq <command> [options]')
  for (const command of ['install', 'upgrade', 'verify', 'uninstall', 'proxy']) expect(help).toMatch(new RegExp(`^  ${command} `, 'm'))
})

it('installs the schema with the bin, then app.mjs drains 100 jobs', async () => {
  const db = await freshDatabase('node')
  const install = await pgqInstall(db)
  expect(install.stdout).toMatch(/^applied 0000_init$/m)
  expect(expectSuccess(await pgq('verify', '--database-url', db.url)).stdout.trim()).toBe('ok')
  expect(expectSuccess(await pgq('upgrade', '--database-url', db.url)).code).toBe(0)

  const run = expectSuccess(await inProject('node', ['app.mjs', db.url, '100']))
  const { runtime, enqueued, handled, summary } = lastJsonLine(run.stdout)
  expect({ runtime, enqueued, handled }).toEqual({ runtime: 'node', enqueued: 100, handled: 100 })
  expect(summary).toMatchObject({ claimed: 100, succeeded: 100, failed: 0, retried: 0, lost: 0, remaining: 0, stoppedBy: 'empty' })
  const [counts] = await db.query<{ queued: number; logged: number }>(
    `select (select count(*)::int from pgq.jobs) as queued,
            (select count(*)::int from pgq.log where status = 'successful' and entrypoint = 'square') as logged`,
  )
  expect(counts).toEqual({ queued: 0, logged: 100 })
})

it('uninstall --yes drops the schema, and verify then fails', async () => {
  const db = await freshDatabase('uninstall')
  await pgqInstall(db)
  expect(expectSuccess(await pgq('uninstall', '--yes', '--database-url', db.url)).stdout).toContain('dropped schema "pgq"')
  const verify = await pgq('verify', '--database-url', db.url)
  expect(verify.code).toBe(1)
  expect(verify.stdout).toMatch(/^missing: /m)
})

it('migrate() and verifySchema() of the installed package find its shipped migrations', async () => {
  const db = await freshDatabase('node_migrate')
  const run = expectSuccess(await inProject('node', ['migrate.mjs', db.url]))
  const result = lastJsonLine(run.stdout)
  expect(result).toEqual({ applied: result.SCHEMA_VERSION, version: result.SCHEMA_VERSION, againApplied: 0, verified: true, SCHEMA_VERSION: result.SCHEMA_VERSION })
  expect(result.SCHEMA_VERSION).toBeGreaterThanOrEqual(5)
})
