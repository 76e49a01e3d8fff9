// Rows of scenario 10 (dependencies) in the table of the scenarios only pgq runs.
import { fmtInt, fmtMs, fmtX } from './report-format.ts'
import type { DependenciesResult } from './scenarios/dependencies.ts'
import { SHAPES, type Shape } from './scenarios/dependency-shapes.ts'

const percent = (share: number) => (Number.isFinite(share) ? `${Math.round(share * 100)}%` : '-')
const signedUs = (n: number) => (Number.isFinite(n) ? `${n >= 0 ? '+' : '-'}${Math.abs(n).toFixed(1)}` : '-')

export function dependencyRows(d: DependenciesResult): string[][] {
  const n = fmtInt(d.jobs)
  const what: Record<Shape, string> = {
    baseline: `${n} independent jobs`,
    'fan-out': `fan-out: 1 parent, ${fmtInt(d.jobs - 1)} children (drain from the release)`,
    chains: `chains: ${fmtInt(Math.ceil(d.jobs / d.chainLength))} × ${d.chainLength} (queue.flow())`,
    'fan-in': `fan-in: groups of ${fmtInt(Math.min(d.fanInGroup, d.jobs) - 1)} parents → 1 child`,
  }
  const rows = SHAPES.map((s) => {
    const m = d.median[s]
    const label = `10. ${what[s]}: drain jobs/s; × baseline; µs per job more; enqueue jobs/s (W=${d.workers}, median of ${d.rounds})`
    return [label, `${fmtInt(m.drainJobsPerSec)}; ${fmtX(m.ratio)}; ${signedUs(m.overheadUs)}; ${fmtInt(m.enqueueJobsPerSec)}`]
  })
  const cpu = (s: Shape) => `${fmtInt(d.median[s].workerCpuUsPerJob)} + ${fmtInt(d.median[s].serverCpuUsPerJob)}`
  rows.push([`10. CPU per job drained, µs, workers + PostgreSQL: ${SHAPES.join(' / ')} (median)`, SHAPES.map(cpu).join(' / ')])
  rows.push([`10. share of the jobs the busiest of the ${d.workers} workers drained: ${SHAPES.join(' / ')} (median)`, SHAPES.map((s) => percent(d.median[s].busiestShare)).join(' / ')])
  rows.push([
    `10. fan-out: the parent's finishing statement releasing ${fmtInt(d.jobs - 1)} children, ms (µs per child); the parent's whole drain, ms`,
    `${fmtMs(d.release.ms)} (${d.release.usPerChild.toFixed(2)}); ${fmtMs(d.release.parentDrainMs)}`,
  ])
  return rows
}
