#!/usr/bin/env node
// Builds the workspace package in the current folder: a clean dist/ from tsc (ESM, .d.ts,
// source maps), executable bins, and with --migrations the top-level drizzle/ migrations
// (the source of truth) copied into ./migrations, where the installed migrator finds them.
import { spawnSync } from 'node:child_process'
import { chmodSync, cpSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs'
import path from 'node:path'

const here = process.cwd()
const root = path.resolve(import.meta.dirname, '..')
// Built beside dist/ and swapped in, so a process using dist/ meanwhile never finds it missing.
const staging = path.join(here, `.dist-${process.pid}`)
const tsc = spawnSync(path.join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json', '--outDir', staging], { stdio: 'inherit' })
if (tsc.status !== 0) {
  rmSync(staging, { recursive: true, force: true })
  process.exit(tsc.status ?? 1)
}
rmSync(path.join(here, 'dist'), { recursive: true, force: true })
renameSync(staging, path.join(here, 'dist'))

const pkg = JSON.parse(readFileSync(path.join(here, 'package.json'), 'utf8'))
for (const bin of Object.values(pkg.bin ?? {})) chmodSync(path.join(here, bin), 0o755)

if (process.argv.includes('--migrations')) {
  const out = path.join(here, 'migrations')
  rmSync(out, { recursive: true, force: true })
  mkdirSync(path.join(out, 'meta'), { recursive: true })
  const source = path.join(root, 'drizzle')
  const journal = JSON.parse(readFileSync(path.join(source, 'meta/_journal.json'), 'utf8'))
  // The journal and the SQL it lists: drizzle-kit's snapshots are for generating, not applying.
  cpSync(path.join(source, 'meta/_journal.json'), path.join(out, 'meta/_journal.json'))
  for (const { tag } of journal.entries) cpSync(path.join(source, `${tag}.sql`), path.join(out, `${tag}.sql`))
}
