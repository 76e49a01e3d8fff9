// pgq's CLI start-up: `node <pgq's bin> --help` spawned and waited for, next to `node -e 0`
// (what any node program pays) on the same machine; median of `runs` each, interleaved.
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import path from 'node:path'
import { median, now } from './stats.ts'

export interface StartupResult {
  runs: number
  helpMs: number
  nodeMs: number
}

const require = createRequire(import.meta.url)

/** The built `pgq` bin (packages/core/dist/cli/main.js), from @pgq/core's package.json. */
function pgqBin(): string {
  const pkg = require.resolve('@pgq/core/package.json')
  return path.join(path.dirname(pkg), (require(pkg) as { bin: { pgq: string } }).bin.pgq)
}

/** Wall time of one `node ...args` from spawn to exit, ms. */
function spawnMs(args: string[]): number {
  const t0 = now()
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  const ms = now() - t0
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${r.status ?? r.signal}: ${r.stderr}`)
  return ms
}

export function measureStartup(runs = 10): StartupResult {
  const help = [pgqBin(), '--help']
  const node = ['-e', '0']
  spawnMs(help) // warm the file cache
  spawnMs(node)
  const helpMs: number[] = []
  const nodeMs: number[] = []
  for (let i = 0; i < runs; i++) {
    helpMs.push(spawnMs(help))
    nodeMs.push(spawnMs(node))
  }
  return { runs, helpMs: median(helpMs), nodeMs: median(nodeMs) }
}

export const startupLine = (s: StartupResult) =>
  `pgq --help: ${Math.round(s.helpMs)} ms (node -e 0: ${Math.round(s.nodeMs)} ms), median of ${s.runs} spawns`
