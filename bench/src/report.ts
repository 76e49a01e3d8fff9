// One table on stdout; latest.json, latest.md and a chart next to them.
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { writeCharts } from './chart.ts'
import type { BenchOptions } from './context.ts'
import type { BacklogResult } from './scenarios/backlog.ts'
import { type DrainResult, PGQ_LOGGED } from './scenarios/drain.ts'
import { type DurabilityResult, LEVELS } from './scenarios/durability.ts'
import type { EdgeResult } from './scenarios/edge.ts'
import type { EnqueueResult } from './scenarios/enqueue.ts'
import type { LatencyResult } from './scenarios/latency.ts'
import type { MemoryResult } from './scenarios/memory.ts'
import type { PruneScenarioResult } from './scenarios/prune.ts'
import type { XminResult } from './scenarios/xmin.ts'
import { type StartupResult, startupLine } from './startup.ts'
import { median } from './stats.ts'

export interface Results {
  startedAt: string
  durationS?: number
  options: Omit<BenchOptions, 'databaseUrl'> & { databaseUrl?: string }
  machine: Record<string, unknown>
  server: { kind: string; settings: Record<string, string>; pgStatStatements: boolean; autoExplain: boolean }
  versions: Record<string, string>
  load: { before: number[]; after: number[] }
  startup: StartupResult
  drain?: DrainResult
  enqueue?: EnqueueResult
  latency?: LatencyResult
  backlog?: BacklogResult
  edge?: EdgeResult
  memory?: MemoryResult
  prune?: PruneScenarioResult
  xmin?: XminResult
  durability?: DurabilityResult
  targets?: Target[]
}

export interface Target {
  what: string
  goal: string
  measured: string
  met: boolean | null
}

type Row = [string, string, string, string, string, string]

const fmtInt = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '-' : Math.round(n).toLocaleString('en-US'))
const fmtMs = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '-' : n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : Math.round(n).toString())
/** A change as a signed percentage: -12.0% is 12% less. */
const fmtPct = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '-' : `${n > 0 ? '+' : n < 0 ? '-' : '±'}${Math.abs(n * 100).toFixed(1)}%`)
const fmtX = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '-' : n < 10 ? `${n.toFixed(2)}×` : `${n.toFixed(1)}×`)
/** pgq relative to another queue, so that > 1 always means pgq is better. */
const better = (pgq: number | undefined, other: number | undefined, higherIsBetter: boolean) =>
  pgq === undefined || other === undefined ? undefined : higherIsBetter ? pgq / other : other / pgq

function rows(r: Results): Row[] {
  const out: Row[] = []
  const triple = (label: string, v: Record<string, number | undefined>, fmt: (n: number | undefined) => string, higherIsBetter: boolean) =>
    out.push([
      label,
      fmt(v.pgq),
      fmt(v['graphile-worker']),
      fmt(v['pg-boss']),
      fmtX(better(v.pgq, v['graphile-worker'], higherIsBetter)),
      fmtX(better(v.pgq, v['pg-boss'], higherIsBetter)),
    ])
  const single = (label: string, value: string) => out.push([label, value, '', '', '', ''])
  if (r.drain) {
    const d = r.drain
    const spread = (q: string) =>
      d.runs[q] && d.runs[q]!.length > 1 ? ` (${fmtInt(d.min[q])}-${fmtInt(d.max[q])})` : ''
    out.push([
      `1. drain, jobs/s (N=${fmtInt(d.jobs)}, W=${d.workers}, median of ${r.options.repeat}${r.options.settings.pgq.logSuccess ? '' : '; pgq logSuccess: false'})`,
      fmtInt(d.median.pgq) + spread('pgq'),
      fmtInt(d.median['graphile-worker']) + spread('graphile-worker'),
      fmtInt(d.median['pg-boss']) + spread('pg-boss'),
      fmtX(better(d.median.pgq, d.median['graphile-worker'], true)),
      fmtX(better(d.median.pgq, d.median['pg-boss'], true)),
    ])
    if (d.runs[PGQ_LOGGED]) {
      out.push([
        '1. drain, pgq with its success log on (its default), jobs/s',
        fmtInt(d.median[PGQ_LOGGED]) + spread(PGQ_LOGGED),
        '',
        '',
        fmtX(better(d.median[PGQ_LOGGED], d.median['graphile-worker'], true)),
        fmtX(better(d.median[PGQ_LOGGED], d.median['pg-boss'], true)),
      ])
    }
    const cpu = (k: 'workerCpuUsPerJob' | 'serverCpuUsPerJob') =>
      Object.fromEntries(Object.entries(d.runs).map(([q, runs]) => [q, median(runs.map((x) => x[k]))]))
    triple('1. worker CPU per job, µs (all worker processes)', cpu('workerCpuUsPerJob'), fmtInt, false)
    triple('1. PostgreSQL CPU per job, µs (approximate)', cpu('serverCpuUsPerJob'), fmtInt, false)
    const rss = Object.fromEntries(Object.entries(d.runs).map(([q, runs]) => [q, Math.max(...runs.flatMap((x) => x.peakRssMb))]))
    triple('1. peak RSS per worker process, MB', rss, fmtInt, false)
  }
  if (r.enqueue) {
    const e = r.enqueue
    triple(`2. enqueue one at a time, jobs/s (${fmtInt(e.singles)} awaited)`, e.singleJobsPerSec, fmtInt, true)
    triple('2. statements per single enqueue', e.statementsPerSingle, (n) => (n === undefined || Number.isNaN(n) ? '-' : n.toFixed(2)), false)
    triple(`2. enqueue in batches of ${fmtInt(e.batchSize)}, jobs/s`, e.batchJobsPerSec, fmtInt, true)
  }
  if (r.latency) {
    const l = r.latency.byQueue
    const pick = (k: 'p50' | 'p99' | 'max') => Object.fromEntries(Object.entries(l).map(([q, s]) => [q, s[k]]))
    const n = Object.entries(l).map(([q, s]) => `${q === 'pg-boss' ? 'pg-boss ' : ''}${s.samples}`)
    const label = `(n=${[...new Set(n)].join(', ')})`
    triple(`3. enqueue→start latency p50, ms ${label}`, pick('p50'), fmtMs, false)
    triple('3. enqueue→start latency p99, ms', pick('p99'), fmtMs, false)
    triple('3. enqueue→start latency max, ms', pick('max'), fmtMs, false)
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
  if (r.memory) {
    const m = Object.entries(r.memory.byQueue)
    const fmtMb = (n: number | undefined) => (n === undefined ? '-' : n.toFixed(1))
    triple(`6. peak RSS of one worker draining ${fmtInt(r.memory.jobs)}, MB`, Object.fromEntries(m.map(([q, x]) => [q, x.peakRssMb])), fmtMb, false)
    triple('6. RSS of that worker when ready, MB', Object.fromEntries(m.map(([q, x]) => [q, x.readyRssMb])), fmtMb, false)
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
  return out
}

export function targets(r: Results): Target[] {
  const t: Target[] = []
  const d = r.drain
  if (d?.median.pgq !== undefined) {
    // With pgq's success log off (as graphile-worker keeps no history), and on if measured.
    const logged = (other: number) => (d.median[PGQ_LOGGED] === undefined ? '' : ` (success log on: ${fmtX(d.median[PGQ_LOGGED]! / other)})`)
    if (d.median['graphile-worker'] !== undefined) {
      const x = d.median.pgq / d.median['graphile-worker']
      t.push({ what: 'drain vs graphile-worker', goal: '≥ 1.5×', measured: fmtX(x) + logged(d.median['graphile-worker']), met: x >= 1.5 })
    }
    if (d.median['pg-boss'] !== undefined) {
      const x = d.median.pgq / d.median['pg-boss']
      t.push({ what: 'drain vs pg-boss', goal: '≥ 10×', measured: fmtX(x) + logged(d.median['pg-boss']), met: x >= 10 })
    }
  }
  const l = r.latency?.byQueue
  if (l?.pgq && l['graphile-worker']) {
    t.push({
      what: 'latency p50 vs graphile-worker',
      goal: '≤ 1×',
      measured: `${fmtMs(l.pgq.p50)} vs ${fmtMs(l['graphile-worker'].p50)} ms`,
      met: l.pgq.p50 <= l['graphile-worker'].p50,
    })
  }
  const m = r.memory?.byQueue
  if (m?.pgq && m['graphile-worker']) {
    t.push({
      what: 'peak RSS per worker vs graphile-worker',
      goal: '≤ 1×',
      measured: `${m.pgq.peakRssMb.toFixed(1)} vs ${m['graphile-worker'].peakRssMb.toFixed(1)} MB`,
      met: m.pgq.peakRssMb <= m['graphile-worker'].peakRssMb,
    })
  }
  if (r.prune) {
    const drop = r.prune.batched.drop
    t.push({ what: `drain during the full-speed prune of ${fmtInt(r.prune.oldRows)} log rows`, goal: '> -10%', measured: fmtPct(-drop), met: drop < 0.1 })
    if (r.prune.batched.paced.length) {
      const paced = r.prune.batched.pacedDrop
      t.push({ what: `drain during the paced prune (pace ${r.prune.batched.pause})`, goal: '> -10%', measured: fmtPct(-paced), met: paced < 0.1 })
    }
  }
  if (r.backlog) t.push({ what: 'claim at 1M backlog vs empty', goal: '≤ 2×', measured: fmtX(r.backlog.ratio), met: r.backlog.ratio <= 2 })
  if (r.edge) {
    const rt = r.edge.enqueue.roundTripsPerEnqueue
    t.push({ what: 'round trips per enqueue after connect', goal: '1', measured: rt.toFixed(2), met: rt <= 1 })
  }
  return t
}

function table(header: Row, body: Row[]): string {
  const all = [header, ...body]
  const width = header.map((_, i) => Math.max(...all.map((r) => r[i]!.length)))
  const line = (r: Row) => r.map((c, i) => (i === 0 ? c.padEnd(width[i]!) : c.padStart(width[i]!))).join('  ')
  return [line(header), width.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n')
}

function markdownTable(header: string[], body: string[][]): string {
  const esc = (c: string) => c.replaceAll('|', '\\|')
  return [
    `| ${header.map(esc).join(' | ')} |`,
    `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...body.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n')
}

const HEADER: Row = ['metric', 'pgq', 'graphile-worker', 'pg-boss', 'pgq vs gw', 'pgq vs pg-boss']

function context(r: Results): string[] {
  const s = r.server.settings
  return [
    `server: ${r.server.kind}, PostgreSQL ${s.server_version}, fsync=${s.fsync}, synchronous_commit=${s.synchronous_commit}, ` +
      `full_page_writes=${s.full_page_writes}, shared_buffers=${s.shared_buffers}${r.server.pgStatStatements ? ', pg_stat_statements loaded' : ''}`,
    `machine: ${r.machine.cpus} cores (${r.machine.cpuModel}), ${r.machine.memoryGb} GB, Node ${r.machine.node}; ` +
      `load average before ${r.load.before.join(' ')}, after ${r.load.after.join(' ')}`,
    `versions: ${Object.entries(r.versions).map(([q, v]) => `${q} ${v}`).join(', ')}`,
    startupLine(r.startup),
    `"pgq vs X" > 1× means pgq is better (throughput: pgq/X; latency, memory: X/pgq). Same run, same server.`,
  ]
}

export function renderText(r: Results): string {
  const body = rows(r)
  const out = [table(HEADER, body), '', ...context(r)]
  const t = r.targets ?? []
  if (t.length && r.options.smoke) out.push('', 'targets: not judged in a smoke run (sizes too small to mean anything)')
  else if (t.length) {
    out.push('', 'targets:')
    for (const x of t) out.push(`  ${x.met ? 'met    ' : 'NOT met'}  ${x.what}: ${x.measured} (goal ${x.goal})`)
  }
  return out.join('\n')
}

export function renderMarkdown(r: Results): string {
  const body = rows(r)
  const out = [
    `# pgq benchmark: ${r.startedAt}${r.options.smoke ? ' (smoke)' : ''}`,
    '',
    markdownTable([...HEADER], body),
    '',
    ...context(r).map((l) => `- ${l}`),
  ]
  const t = r.targets ?? []
  if (t.length && !r.options.smoke) {
    out.push('', '| target | goal | measured | met |', '| --- | --- | --- | --- |')
    for (const x of t) out.push(`| ${x.what} | ${x.goal} | ${x.measured} | ${x.met ? 'yes' : 'no'} |`)
  }
  if (r.drain) {
    out.push('', '## Settings', '', '```json', JSON.stringify(r.drain.settings, null, 2), '```')
    for (const [q, stmts] of Object.entries(r.drain.statements)) {
      if (!stmts.length) continue
      out.push('', `## pg_stat_statements during the ${q} drain (top by total time)`, '')
      out.push(
        markdownTable(
          ['calls', 'total ms', 'mean ms', 'plan ms', 'rows', 'WAL bytes/row', 'statement'],
          stmts.slice(0, 6).map((s) => [
            fmtInt(s.calls),
            fmtInt(s.totalMs),
            s.meanMs.toFixed(3),
            s.planMs ? (s.planMs / s.calls).toFixed(3) : '-',
            fmtInt(s.rows),
            s.rows ? fmtInt(s.walBytes / s.rows) : '-',
            `${s.toplevel ? '' : '(inside a function) '}\`${s.query.slice(0, 120)}\``,
          ]),
        ),
      )
    }
  }
  if (r.backlog?.claimPlan) {
    out.push('', `## Claim plan at ${fmtInt(r.backlog.levels.at(-1)?.queued)} queued`, '', '```', r.backlog.claimPlan, '```')
    out.push('', '## Completion plan (100 jobs)', '', '```', r.backlog.completePlan, '```')
  }
  return `${out.join('\n')}\n`
}

export async function writeReport(r: Results, outDir: string, log: (m: string) => void): Promise<void> {
  r.targets = targets(r)
  const text = renderText(r)
  console.log(text)
  writeFileSync(path.join(outDir, 'latest.json'), `${JSON.stringify(r, null, 2)}\n`)
  writeFileSync(path.join(outDir, 'latest.md'), renderMarkdown(r))
  const charts = await writeCharts(r, outDir).catch((e) => {
    log(`chart skipped: ${e}`)
    return []
  })
  log(`wrote ${['latest.json', 'latest.md', ...charts].map((f) => path.join(outDir, f)).join(', ')}`)
}
