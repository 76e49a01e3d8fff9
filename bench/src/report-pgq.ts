// Rows of the scenarios only pgq runs (1's PostgreSQL floor, 4 backlog, 5 edge, 7 prune, 8 xmin, 9 durability, 10 dependencies).
import { fmtInt, fmtMs, fmtPct, fmtX } from './report-format.ts'
import type { Results } from './report.ts'
import { dependencyRows } from './report-dependencies.ts'
import { FLOOR } from './adapters.ts'
import { medianCpu, PGQ_LOGGED } from './scenarios/drain.ts'
import { LEVELS } from './scenarios/durability.ts'
import { median } from './stats.ts'

export function pgqOnlyRows(r: Results): string[][] {
  const out: string[][] = []
  const single = (label: string, value: string) => out.push([label, value])
  const d = r.drain
  const floor = d?.runs[FLOOR.name]
  if (d && floor) {
    const cpu = (variant: string, k: 'workerCpuUsPerJob' | 'serverCpuUsPerJob') => medianCpu(d, variant, k)
    const times = (variant: string, k: 'workerCpuUsPerJob' | 'serverCpuUsPerJob') => {
      const v = cpu(variant, k)
      return v === undefined ? '-' : fmtX(v / cpu(FLOOR.name, k)!)
    }
    single(
      `1. PostgreSQL floor (one table; per batch one UPDATE … SKIP LOCKED and one DELETE; same jobs and workers): drain jobs/s; worker CPU, PostgreSQL CPU per job, µs (median of ${floor.length})`,
      `${fmtInt(d.median[FLOOR.name])}; ${fmtInt(cpu(FLOOR.name, 'workerCpuUsPerJob'))}; ${fmtInt(cpu(FLOOR.name, 'serverCpuUsPerJob'))}`,
    )
    single(
      '1. pgq\'s CPU per job against the floor: PostgreSQL, log off / on; workers, log off / on',
      `${times('pgq', 'serverCpuUsPerJob')} / ${times(PGQ_LOGGED, 'serverCpuUsPerJob')}; ${times('pgq', 'workerCpuUsPerJob')} / ${times(PGQ_LOGGED, 'workerCpuUsPerJob')}`,
    )
  }
  if (r.backlog) {
    for (const lv of r.backlog.levels) {
      single(
        `4. claim ${r.backlog.batch} at ${fmtInt(lv.queued)} queued${lv.logRows ? ` + ${fmtInt(lv.logRows)} log rows` : ''}, ms p50 (p90)`,
        `${fmtMs(lv.claimMsP50)} (${fmtMs(lv.claimMsP90)})`,
      )
    }
    single('4. claim at largest backlog / empty queue', fmtX(r.backlog.ratio))
  }
  if (r.edge) {
    const e = r.edge
    single('5. edge: round trips per enqueue (after connect)', e.enqueue.roundTripsPerEnqueue.toFixed(2))
    single('5. edge: statements per enqueue', Number.isNaN(e.enqueue.statementsPerEnqueue) ? '-' : e.enqueue.statementsPerEnqueue.toFixed(2))
    single('5. edge: first enqueue (connect + check + insert): round trips, ms', `${e.enqueue.firstRoundTrips}, ${fmtMs(e.enqueue.firstWallMs)}`)
    for (const inv of e.invocations) {
      single(
        `5. edge drain invocation, batch ${inv.batch}, ${inv.estimated ? 'tuned' : 'defaults'}: ms p50; round trips; connections`,
        `${fmtMs(inv.wallMsP50)}; ${inv.roundTrips} (${fmtMs(inv.roundTripsPerJob)}/job); ${inv.connections}`,
      )
    }
  }
  if (r.prune) {
    const p = r.prune
    const b = p.batched
    const spread = (v: number[]) => (v.length > 1 ? ` (${fmtInt(Math.min(...v))}-${fmtInt(Math.max(...v))})` : '')
    const n = `N=${fmtInt(p.jobs)}, W=${p.workers}, success log on`
    single(`7. drain alone, jobs/s (${n}; median of ${b.alone.length})`, fmtInt(b.aloneMedian) + spread(b.alone))
    single(`7. drain during the batched prune of ${fmtInt(p.oldRows)} log rows at full speed (pace 0), jobs/s (median of ${b.during.length})`, fmtInt(b.duringMedian) + spread(b.during))
    single('7. drain during the full-speed prune vs alone (medians)', fmtPct(-b.drop))
    const f = b.prune.full
    single(`7. full-speed prune beside the drains: rows/s; batch of ${fmtInt(b.prune.batchSize)} ms p50 / p99 / max`, `${fmtInt(f.rowsPerSec)}; ${fmtMs(f.batchMsP50)} / ${fmtMs(f.batchMsP99)} / ${fmtMs(f.batchMsMax)}`)
    if (b.paced.length) {
      single(`7. drain during the paced prune (pace ${b.pause}: waits ${b.pause}× each batch's time), jobs/s (median of ${b.paced.length}); vs alone`, `${fmtInt(b.pacedMedian)}${spread(b.paced)}; ${fmtPct(-b.pacedDrop)}`)
      single('7. paced prune beside the drains, rows/s', fmtInt(b.prune.paced.rowsPerSec))
    }
    single(`7. ${b.prune.cli.args.join(' ').replace(/^prune/, 'pgq prune').replace(' --time-budget 1h', '')} alone (the rest): rows, s, rows/s`, `${fmtInt(b.prune.cli.rows)}, ${(b.prune.cli.ms / 1000).toFixed(1)}, ${fmtInt(b.prune.cli.rowsPerSec)}`)
    single('7. log after the prune: dead tuples; autovacuums; VACUUM s; heap MB before/after', `${fmtInt(b.log.afterPrune.deadTuples)}; ${b.log.afterPrune.autovacuums - b.log.beforePrune.autovacuums}; ${(b.log.vacuumMs / 1000).toFixed(1)}; ${fmtInt(b.log.beforePrune.heapMb)}/${fmtInt(b.log.afterVacuum.heapMb)}`)
    const q = p.partitioned
    single(`7. partitioned log: drain alone / during detach + drop, jobs/s (median of ${q.alone.length})`, `${fmtInt(q.aloneMedian)} / ${fmtInt(q.duringMedian)} (${fmtPct(-q.drop)})`)
    single(`7. partitioned log: detach + drop of ${q.oldPartitions} day partitions, ms (median); parent insert max ms during / otherwise`, `${fmtMs(median(q.dropMs))}; ${fmtMs(q.writer.maxMsDuringDrop)} / ${fmtMs(q.writer.maxMsOtherwise)}`)
    single(`7. job status lookup, ms p50: plain log / ${q.partitions} partitions`, `${fmtMs(q.lookup.plainMsP50)} / ${fmtMs(q.lookup.partitionedMsP50)}`)
    single('7. 1,000-row log insert, rows/s: plain log / partitioned', `${fmtInt(q.insert.plainRowsPerSec)} / ${fmtInt(q.insert.partitionedRowsPerSec)}`)
  }
  if (r.xmin) {
    const x = r.xmin
    const drains = (held: boolean) => x.windows.filter((w) => w.held === held).reduce((n, w) => n + w.drains.length, 0)
    single(`8. drain, jobs/s, median: free / xmin held ${Math.round(x.holdMs / 1000)} s (N=${fmtInt(x.jobs)}; ${drains(false)} / ${drains(true)} drains)`, `${fmtInt(x.freeMedian)} / ${fmtInt(x.heldMedian)} (${fmtPct(-x.drop)})`)
    single("8. each window's last drain, jobs/s (median): free / held", `${fmtInt(x.freeLastMedian)} / ${fmtInt(x.heldLastMedian)}`)
    single('8. pgq.jobs dead tuples a VACUUM could not remove, max: free / held', `${fmtInt(x.freeDeadTuplesMax)} / ${fmtInt(x.heldDeadTuplesMax)}`)
    // The first window's answers (the later windows' are in the JSON).
    const said = (d: (typeof x.doctor.held)[number] | undefined) => (d ? `exit ${d.exitCode}${d.failed.length ? ` (${d.failed.map((f) => f.name).join(', ')})` : ''}` : '-')
    single(
      `8. pgq doctor during the hold: defaults; --xmin-age ${Math.max(1, Math.floor(x.holdMs / 2000))}s; without the hold`,
      x.doctor.available ? `${said(x.doctor.held[0])}; ${said(x.doctor.held[1])}; ${said(x.doctor.free[0])}` : 'not in this build',
    )
  }
  if (r.durability) {
    const d = r.durability
    for (const level of LEVELS) {
      const m = d.median[level]
      single(`9. ${level}: single enqueue / batch enqueue / drain, jobs/s (median of ${d.runs.filter((x) => x.level === level).length})`, `${fmtInt(m.singleJobsPerSec)} / ${fmtInt(m.batchJobsPerSec)} / ${fmtInt(m.drainJobsPerSec)}`)
      single(`9. ${level}: WAL bytes per job: single enqueue / batch enqueue / drain`, `${fmtInt(m.walPerSingle)} / ${fmtInt(m.walPerBatchJob)} / ${fmtInt(m.walPerDrainedJob)}`)
    }
  }
  if (r.dependencies) out.push(...dependencyRows(r.dependencies))
  return out
}
