// 5. Bun and Deno (binaries from npm, installed in the consumer project) run the installed
// `pgq` CLI and the same app.mjs as Node: 100 jobs over node-postgres.
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { BUN, DENO, expectSuccess, freshDatabase, inProject, lastJsonLine, scratchDir, tarballs } from './support.ts'

const PGQ_MAIN = 'node_modules/@pgq/core/dist/cli/main.js'

const runtimes = {
  // Deno reads package.json and uses the project's node_modules as it is (no install).
  deno: {
    command: (file: string, ...args: string[]) => [DENO, ['run', '--allow-all', file, ...args]] as const,
    env: { DENO_DIR: path.join(scratchDir, 'deno-dir'), DENO_NO_UPDATE_CHECK: '1' },
    version: [DENO, ['--version']] as const,
  },
  bun: {
    command: (file: string, ...args: string[]) => [BUN, [file, ...args]] as const,
    env: { BUN_RUNTIME_TRANSPILER_CACHE_PATH: '0' },
    version: [BUN, ['--version']] as const,
  },
}

describe.each(Object.entries(runtimes))('%s', (name, runtime) => {
  const exec = (file: string, ...args: string[]) => {
    const [command, argv] = runtime.command(file, ...args)
    return inProject(command, [...argv], { env: runtime.env })
  }

  it('runs the installed CLI and app.mjs: 100 jobs enqueued and drained', async () => {
    const [command, argv] = runtime.version
    console.log(`${name}: ${expectSuccess(await inProject(command, [...argv])).stdout.split('\n')[0]}`)
    expect(expectSuccess(await exec(PGQ_MAIN, '--version')).stdout.trim()).toBe(tarballs.core.version)

    const db = await freshDatabase(name)
    const install = expectSuccess(await exec(PGQ_MAIN, 'install', '--database-url', db.url))
    expect(install.stdout).toMatch(/installed pgq in schema "pgq"/)
    expect(expectSuccess(await exec(PGQ_MAIN, 'verify', '--database-url', db.url)).stdout.trim()).toBe('ok')

    const run = expectSuccess(await exec('app.mjs', db.url, '100'))
    const { runtime: reported, enqueued, handled, summary } = lastJsonLine(run.stdout)
    expect({ reported, enqueued, handled }).toEqual({ reported: name, enqueued: 100, handled: 100 })
    expect(summary).toMatchObject({ claimed: 100, succeeded: 100, failed: 0, lost: 0, remaining: 0, stoppedBy: 'empty' })
    const [counts] = await db.query<{ queued: number; logged: number }>(
      `select (select count(*)::int from pgq.jobs) as queued, (select count(*)::int from pgq.log where status = 'successful') as logged`,
    )
    expect(counts).toEqual({ queued: 0, logged: 100 })
  })
})
