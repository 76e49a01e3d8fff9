// The tables on stdout; latest.json, latest.md and a chart next to them.
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { writeCharts } from './chart.ts'
import type { BenchOptions } from './context.ts'
import { fmtInt } from './report-format.ts'
import { tables } from './report-rows.ts'
import { targets } from './report-targets.ts'
import type { BacklogResult } from './scenarios/backlog.ts'
import type { DependenciesResult } from './scenarios/dependencies.ts'
import type { DrainResult } from './scenarios/drain.ts'
import type { DurabilityResult } from './scenarios/durability.ts'
import type { EdgeResult } from './scenarios/edge.ts'
import type { EnqueueResult } from './scenarios/enqueue.ts'
import type { LatencyResult } from './scenarios/latency.ts'
import type { MemoryResult } from './scenarios/memory.ts'
import type { PruneScenarioResult } from './scenarios/prune.ts'
import type { XminResult } from './scenarios/xmin.ts'
import { type StartupResult, startupLine } from './startup.ts'

export interface Results {
  startedAt: string
  durationS?: number
  options: Omit<BenchOptions, 'databaseUrl'> & { databaseUrl?: string }
  machine: Record<string, unknown>
  server: { kind: string; settings: Record<string, string>; pgStatStatements: boolean; autoExplain: boolean }
  /** The bench's own redis-servers (BullMQ's Redis rows): version and settings. */
  redis?: Record<string, { version: string; args: string[] }>
  versions: Record<string, string>
  /** Node version each queue's worker and client processes ran on. */
  runtimes?: Record<string, string>
  /** Requested queues that could not run here, and why. */
  unavailable?: Record<string, string>
  /** Anchors that failed during a scenario: queue → scenario → reason. */
  failed?: Record<string, Record<number, string>>
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
  dependencies?: DependenciesResult
  targets?: Target[]
}

export interface Target {
  what: string
  goal: string
  measured: string
  met: boolean | null
}

function table(header: string[], body: string[][]): string {
  const all = [header, ...body]
  const width = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)))
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(width[i]!) : c.padStart(width[i]!))).join('  ')
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

/** The tables that have rows, each as [title, header, rows]. */
function sections(r: Results): [string, string[], string[][]][] {
  const t = tables(r)
  const out: [string, string[], string[][]][] = []
  if (t.values.rows.length) out.push(['Each queue', t.values.header, t.values.rows])
  if (t.ratios.rows.length && t.ratios.header.length > 1) out.push(['pgq against each anchor (> 1× means pgq is better: throughput pgq/X; latency, CPU, memory X/pgq)', t.ratios.header, t.ratios.rows])
  if (t.pgqOnly.rows.length) out.push(["Scenarios only pgq runs (they measure pgq's own features: n/a for the anchors)", t.pgqOnly.header, t.pgqOnly.rows])
  return out
}

function context(r: Results): string[] {
  const s = r.server.settings
  const redis = Object.entries(r.redis ?? {}).map(([kind, x]) => `${kind === 'aof' ? 'AOF' : 'no persistence'}: redis-server ${x.version} ${x.args.map((a) => a || "''").join(' ')}`)
  const runtimes = Object.entries(r.runtimes ?? {}).map(([q, v]) => `${q} ${v}`)
  return [
    `server: ${r.server.kind}, PostgreSQL ${s.server_version}, fsync=${s.fsync}, synchronous_commit=${s.synchronous_commit}, ` +
      `full_page_writes=${s.full_page_writes}, shared_buffers=${s.shared_buffers}${r.server.pgStatStatements ? ', pg_stat_statements loaded' : ''}`,
    ...(redis.length ? [`Redis (the bench's own servers): ${redis.join('; ')}`] : []),
    `machine: ${r.machine.cpus} cores (${r.machine.cpuModel}), ${r.machine.memoryGb} GB, bench on Node ${r.machine.node}; ` +
      `load average before ${r.load.before.join(' ')}, after ${r.load.after.join(' ')}`,
    `versions: ${Object.entries(r.versions).map(([q, v]) => `${q} ${v}`).join(', ')}`,
    ...(runtimes.length ? [`worker and client processes run on: ${runtimes.join(', ')}`] : []),
    ...Object.entries(r.unavailable ?? {}).map(([q, why]) => `NOT RUN: ${q}: ${why}`),
    ...Object.entries(r.failed ?? {}).flatMap(([q, by]) => Object.entries(by).map(([n, why]) => `FAILED: ${q} in scenario ${n}: ${why}`)),
    startupLine(r.startup),
    'Same run, same server; n/a: the metric does not apply to that queue (Redis runs no SQL).',
  ]
}

export function renderText(r: Results): string {
  const out: string[] = []
  for (const [title, header, rows] of sections(r)) out.push(`${title}:`, table(header, rows), '')
  out.push(...context(r))
  const t = r.targets ?? []
  if (t.length && r.options.smoke) out.push('', 'targets: not judged in a smoke run (sizes too small to mean anything)')
  else if (t.length) {
    out.push('', 'targets:')
    for (const x of t) out.push(`  ${x.met === null ? 'info   ' : x.met ? 'met    ' : 'NOT met'}  ${x.what}: ${x.measured} (goal ${x.goal})`)
  }
  return out.join('\n')
}

export function renderMarkdown(r: Results): string {
  const out = [`# pgq benchmark: ${r.startedAt}${r.options.smoke ? ' (smoke)' : ''}`]
  for (const [title, header, rows] of sections(r)) out.push('', `## ${title}`, '', markdownTable(header, rows))
  out.push('', ...context(r).map((l) => `- ${l}`))
  const t = r.targets ?? []
  if (t.length && !r.options.smoke) {
    out.push('', '| target | goal | measured | met |', '| --- | --- | --- | --- |')
    for (const x of t) out.push(`| ${x.what} | ${x.goal} | ${x.measured} | ${x.met === null ? '-' : x.met ? 'yes' : 'no'} |`)
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
