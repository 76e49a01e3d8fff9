// Summarises V8 .cpuprofile files (from `npm run bench -- --cpu-prof`): self time by
// function and by package, heaviest first.
//   npx tsx bench/src/profile-summary.ts bench/results/profiles/*.cpuprofile
import { readFileSync } from 'node:fs'

interface Node {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
  children?: number[]
}
interface Profile {
  nodes: Node[]
  startTime: number
  endTime: number
  samples?: number[]
  timeDeltas?: number[]
}

function where(url: string): string {
  if (!url) return '(native)'
  const m = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)
  if (m) return m[1]!
  const core = url.match(/\/packages\/core\/(?:dist|src)\/(.+)/)
  if (core) return `@pgq/core ${core[1]}`
  if (url.startsWith('node:')) return url
  return url.replace(/^file:\/\//, '').split('/').slice(-2).join('/')
}

const files = process.argv.slice(2)
if (files.length === 0) {
  console.error('usage: tsx src/profile-summary.ts FILE.cpuprofile...')
  process.exit(1)
}
const byFunction = new Map<string, number>()
const byPackage = new Map<string, number>()
let total = 0
for (const file of files) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const nodes = new Map(p.nodes.map((n) => [n.id, n]))
  // Self time per node from the samples and their time deltas (µs).
  const self = new Map<number, number>()
  for (const [i, id] of (p.samples ?? []).entries()) self.set(id, (self.get(id) ?? 0) + (p.timeDeltas?.[i] ?? 0))
  for (const [id, us] of self) {
    const n = nodes.get(id)!
    const f = n.callFrame
    const name = `${f.functionName || '(anonymous)'} ${where(f.url)}${f.url ? `:${f.lineNumber + 1}` : ''}`
    byFunction.set(name, (byFunction.get(name) ?? 0) + us)
    const pkg = f.functionName === '(idle)' ? '(idle)' : f.functionName === '(garbage collector)' ? '(gc)' : where(f.url).split(' ')[0]!
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us)
    total += us
  }
}
const show = (title: string, m: Map<string, number>, n: number) => {
  console.log(`\n${title}`)
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) {
    console.log(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`)
  }
}
console.log(`${files.length} profile(s), ${(total / 1000).toFixed(0)} ms sampled`)
show('self time by package', byPackage, 15)
show('self time by function', byFunction, 30)
