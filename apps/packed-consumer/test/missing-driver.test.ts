// A project with @pgq/core alone (no pg, no ws, no Neon driver): the optional peers are
// really optional, and a missing one is named when it is needed.
import { cp, mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { beforeAll, expect, it } from 'vitest'
import { run } from './run.ts'
import { expectSuccess, lastJsonLine, projectDir, scratchDir, tarballs } from './support.ts'

const bare = path.join(scratchDir, 'bare')
const inBare = (command: string, args: string[]) => run(command, args, { cwd: bare })

beforeAll(async () => {
  await mkdir(bare)
  const manifest = { name: 'pgq-bare-consumer', private: true, type: 'module', dependencies: { '@pgq/core': `file:${tarballs.core.file}` } }
  await writeFile(path.join(bare, 'package.json'), JSON.stringify(manifest, null, 2))
  await cp(path.join(projectDir, 'missing-driver.mjs'), path.join(bare, 'missing-driver.mjs'))
  expectSuccess(await inBare('npm', ['install', '--no-audit', '--no-fund']))
}, 180_000)

it('the drivers throw MissingDependencyError naming pg and @neondatabase/serverless', async () => {
  const result = lastJsonLine(expectSuccess(await inBare('node', ['missing-driver.mjs'])).stdout)
  expect(result).toMatchObject({
    pg: { missing: true, code: 'PGQ_MISSING_DEPENDENCY', packageName: 'pg' },
    neon: { missing: true, code: 'PGQ_MISSING_DEPENDENCY', packageName: '@neondatabase/serverless' },
  })
  expect(result.pg).toMatchObject({ message: expect.stringContaining('npm install pg') })
})

it('the CLI says which package a command needs', async () => {
  expect(expectSuccess(await inBare('npx', ['--no', '--', 'pgq', '--version'])).stdout.trim()).toBe(tarballs.core.version)
  const install = await inBare('npx', ['--no', '--', 'pgq', 'install', '--database-url', 'postgresql://nobody@127.0.0.1:1/none'])
  expect(install.code).toBe(1)
  expect(install.stderr).toContain('"pg"')
  const proxy = await inBare('npx', ['--no', '--', 'pgq', 'proxy', '--database-url', 'postgresql://nobody@127.0.0.1:1/none', '--listen', '127.0.0.1:0'])
  expect(proxy.code).toBe(1)
  expect(proxy.stderr).toContain('"ws"')
})
