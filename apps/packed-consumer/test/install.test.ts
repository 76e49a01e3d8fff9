// The install itself: what the tarballs hold, and that the project resolves them (and their
// peers) from its own node_modules, never from the monorepo.
import { lstat, readdir, realpath } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { expectSuccess, inProject, projectDir, repoRoot, tarballs } from './support.ts'

describe('the tarballs', () => {
  it('@pgq/core ships its build, migrations and CLI, and no sources or tests', () => {
    const { files } = tarballs.core
    expect(files).toEqual(expect.arrayContaining(['package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/edge.js', 'dist/cli/main.js', 'migrations/0000_init.sql']))
    expect(files.filter((f) => /^(src|test|demo)\/|\.test\.|tsconfig/.test(f))).toEqual([])
  })

  it('@pgq/hono ships its build and no sources or tests', () => {
    const { files } = tarballs.hono
    expect(files).toEqual(expect.arrayContaining(['package.json', 'dist/index.js', 'dist/workers.js', 'dist/node.js']))
    expect(files.filter((f) => /^(src|test)\/|\.test\.|tsconfig/.test(f))).toEqual([])
  })
})

describe('the consumer project', () => {
  it('is outside the repository', () => {
    expect(path.relative(repoRoot, projectDir).startsWith('..')).toBe(true)
  })

  it('installed @pgq/* as real directories, not links to the workspace', async () => {
    expect((await readdir(path.join(projectDir, 'node_modules/@pgq'))).sort()).toEqual(['core', 'hono'])
    for (const name of ['core', 'hono']) {
      const dir = path.join(projectDir, 'node_modules/@pgq', name)
      expect((await lstat(dir)).isSymbolicLink()).toBe(false)
      expect(await realpath(dir)).toBe(dir)
    }
  })

  it('resolves every package it uses from its own node_modules, under both require and import', async () => {
    const specifiers = ['@pgq/core', '@pgq/core/edge', '@pgq/core/node-postgres', '@pgq/core/neon-serverless', '@pgq/hono', '@pgq/hono/workers', 'pg', 'ws', '@neondatabase/serverless', 'hono']
    const script = `
      const { createRequire } = await import('node:module')
      const { realpathSync } = await import('node:fs')
      const { fileURLToPath } = await import('node:url')
      const require = createRequire(process.cwd() + '/')
      const specifiers = ${JSON.stringify(specifiers)}
      console.log(JSON.stringify(specifiers.map((s) => [s, realpathSync(require.resolve(s)), realpathSync(fileURLToPath(import.meta.resolve(s)))])))
    `
    const { stdout } = expectSuccess(await inProject('node', ['--input-type=module', '-e', script]))
    const rows = JSON.parse(stdout) as [string, string, string][]
    const modules = `${path.join(projectDir, 'node_modules')}${path.sep}`
    for (const [specifier, required, imported] of rows) {
      expect(required.startsWith(modules), `require.resolve(${specifier}) = ${required}`).toBe(true)
      expect(imported.startsWith(modules), `import.meta.resolve(${specifier}) = ${imported}`).toBe(true)
    }
    // @pgq/hono's peer is the project's one copy of @pgq/core, not a nested one.
    const nested = await readdir(path.join(projectDir, 'node_modules/@pgq/hono/node_modules')).catch(() => [])
    expect(nested).toEqual([])
  })
})
