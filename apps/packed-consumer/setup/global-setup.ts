// globalSetup: build, `npm pack` @pgq/core and @pgq/hono, and install the tarballs (plus the
// drivers, tsc and the Bun/Deno binaries) into a fresh project under os.tmpdir(), outside the
// monorepo. Also a PostgreSQL: PGQ_TEST_DATABASE_URL, or an embedded one.
//
// PGQ_PACKED_TARBALLS=<dir> tests existing pgq-core-*.tgz / pgq-hono-*.tgz instead of packing
// (e.g. the very files a release will publish). PGQ_PACKED_KEEP=1 keeps the temp dir.
import { cp, mkdir, mkdtemp, readdir, realpath, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { startEmbeddedPostgres } from '../../../packages/embedded/src/index.ts'
import { consumerEnv, run } from '../test/run.ts'

export interface PackedTarball {
  name: string
  version: string
  file: string
  /** Paths inside the tarball, as `npm pack --json` lists them. */
  files: string[]
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the test server: each test creates (and drops) its own database. */
    serverUrl: string
    /** The consumer project (realpath), with the tarballs installed. */
    projectDir: string
    /** Scratch space for tests (inside the temp root, removed at the end). */
    scratchDir: string
    repoRoot: string
    tarballs: { core: PackedTarball; hono: PackedTarball }
  }
}

const here = path.dirname(fileURLToPath(import.meta.url))
const repoRoot = path.resolve(here, '../../..')
const template = path.resolve(here, '../project')

// Versions the monorepo itself is tested with (see its package-lock.json).
const CONSUMER_DEPENDENCIES = {
  pg: '8.23.1',
  ws: '8.23.0',
  '@neondatabase/serverless': '1.2.0',
  hono: '4.13.19',
  typescript: '7.0.2',
  '@types/node': '20.19.43',
  '@oven/bun-linux-x64': '1.4.5',
  '@deno/linux-x64-glibc': '2.9.6',
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const t0 = performance.now()
  const lap = (what: string) => console.log(`[packed] ${what} (${((performance.now() - t0) / 1000).toFixed(1)} s)`)
  const root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'pgq-packed-')))
  if (root.startsWith(`${repoRoot}${path.sep}`)) throw new Error(`os.tmpdir() ${root} is inside the repository`)
  let embedded: Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined
  const cleanup = async () => {
    await embedded?.stop()
    if (process.env.PGQ_PACKED_KEEP) console.log(`[packed] kept ${root}`)
    else await rm(root, { recursive: true, force: true, maxRetries: 5 })
  }
  try {
    if (!process.env.PGQ_TEST_DATABASE_URL) embedded = await startEmbeddedPostgres({ fast: true })
    const serverUrl = process.env.PGQ_TEST_DATABASE_URL ?? embedded!.url
    console.log(`[packed] PostgreSQL ${await serverVersion(serverUrl)} (${embedded ? 'embedded' : 'PGQ_TEST_DATABASE_URL'})`)

    const tarballs = await packOrReuse(path.join(root, 'tarballs'))
    lap(`tarballs: ${tarballs.core.file}, ${tarballs.hono.file}`)

    const projectDir = path.join(root, 'project')
    await cp(template, projectDir, { recursive: true })
    const manifest = {
      name: 'pgq-packed-consumer',
      private: true,
      type: 'module',
      dependencies: {
        '@pgq/core': `file:${tarballs.core.file}`,
        '@pgq/hono': `file:${tarballs.hono.file}`,
        ...CONSUMER_DEPENDENCIES,
      },
    }
    await writeFile(path.join(projectDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
    await npm(['install', '--no-audit', '--no-fund'], projectDir)
    lap('consumer project installed')

    const scratchDir = path.join(root, 'scratch')
    await mkdir(scratchDir)
    project.provide('serverUrl', serverUrl)
    project.provide('projectDir', projectDir)
    project.provide('scratchDir', scratchDir)
    project.provide('repoRoot', repoRoot)
    project.provide('tarballs', tarballs)
    return cleanup
  } catch (error) {
    await cleanup()
    throw error
  }
}

async function packOrReuse(dir: string): Promise<{ core: PackedTarball; hono: PackedTarball }> {
  await mkdir(dir, { recursive: true })
  const given = process.env.PGQ_PACKED_TARBALLS
  if (given) {
    // `npm pack --json` of a tarball lists its files without running any build.
    const names = await readdir(given)
    const pick = async (prefix: string) => {
      const found = names.filter((n) => n.startsWith(prefix) && n.endsWith('.tgz'))
      if (found.length !== 1) throw new Error(`PGQ_PACKED_TARBALLS: expected one ${prefix}*.tgz in ${given}, found ${found.join(', ') || 'none'}`)
      await cp(path.join(given, found[0]!), path.join(dir, found[0]!))
      return pack(path.join(dir, found[0]!), path.join(dir, 'listing'))
    }
    return { core: await pick('pgq-core-'), hono: await pick('pgq-hono-') }
  }
  const build = await run('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], {
    cwd: repoRoot,
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
    timeoutMs: 180_000,
  })
  if (build.code !== 0) throw new Error(`build failed (${build.code}):\n${build.stdout}\n${build.stderr}`)
  return {
    core: await pack(path.join(repoRoot, 'packages/core'), dir),
    hono: await pack(path.join(repoRoot, 'packages/hono'), dir),
  }
}

async function pack(source: string, destination: string): Promise<PackedTarball> {
  await mkdir(destination, { recursive: true })
  const { stdout } = await npm(['pack', '--json', '--pack-destination', destination, source], destination)
  const [info] = JSON.parse(stdout) as { name: string; version: string; filename: string; files: { path: string }[] }[]
  if (!info) throw new Error(`npm pack ${source} printed no result`)
  const file = source.endsWith('.tgz') ? source : path.join(destination, info.filename)
  return { name: info.name, version: info.version, file, files: info.files.map((f) => f.path) }
}

/** npm outside the repository's npm context (no inherited npm_config_*, no workspace). */
async function npm(args: string[], cwd: string) {
  const result = await run('npm', args, { cwd, env: consumerEnv(), timeoutMs: 300_000 })
  if (result.code !== 0) throw new Error(`npm ${args.join(' ')} failed (${result.code}):\n${result.stdout}\n${result.stderr}`)
  return result
}

async function serverVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<{ server_version: string }>('show server_version')).rows[0]?.server_version ?? '?'
  } finally {
    await client.end()
  }
}
