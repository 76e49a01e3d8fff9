// The report's tables as rows of text: each queue's values side by side, pgq's ratio to each
// anchor, and the scenarios only pgq runs. A cell is 'not run' for an anchor that could not
// run here (the reason is under the table), 'n/a' where the metric does not apply (Redis has
// no SQL statements), '-' where nothing was measured.
import { ADAPTERS, ANCHORS, type QueueName } from './adapters.ts'
import { better, type Fmt, fmt2, fmtInt, fmtMb, fmtMs, fmtX } from './report-format.ts'
import { pgqOnlyRows } from './report-pgq.ts'
import type { Results } from './report.ts'
import { PGQ_LOGGED } from './scenarios/drain.ts'
import { median } from './stats.ts'

type Values = Partial<Record<string, number | undefined>>

export interface Tables {
  /** metric, then one column per requested queue. */
  values: { header: string[]; rows: string[][] }
  /** metric, then pgq's ratio to each requested anchor (> 1× means pgq is better). */
  ratios: { header: string[]; rows: string[][] }
  pgqOnly: { header: string[]; rows: string[][] }
}

export function tables(r: Results): Tables {
  const requested = r.options.queues
  const anchors = ANCHORS.filter((q) => requested.includes(q))
  const values: string[][] = []
  const ratios: string[][] = []
  /** 'not run' / 'failed' / 'n/a' when the anchor has no value for a reason; else undefined. */
  const missing = (q: QueueName, v: Values, scenario: number, na: QueueName[]) =>
    r.unavailable?.[q] ? 'not run' : na.includes(q) ? 'n/a' : v[q] === undefined && r.failed?.[q]?.[scenario] ? 'failed' : undefined
  /** A metric of scenario `n` every queue has; `pgq`: the value in pgq's column (default v.pgq). */
  const compare = (n: number, label: string, v: Values, fmt: Fmt, higherIsBetter: boolean, o: { na?: QueueName[]; pgq?: number; only?: boolean } = {}) => {
    const na = o.na ?? []
    const pgq = o.pgq ?? v.pgq
    values.push([label, fmt(pgq), ...anchors.map((q) => (o.only ? '' : (missing(q, v, n, na) ?? fmt(v[q]))))])
    ratios.push([label, ...anchors.map((q) => missing(q, v, n, na) ?? fmtX(better(pgq, v[q], higherIsBetter)))])
  }
  const redis = anchors.filter((q) => ADAPTERS[q].store === 'redis')
  if (r.drain) {
    const d = r.drain
    const spread = (q: string) => (d.runs[q] && d.runs[q]!.length > 1 ? ` (${fmtInt(d.min[q])}-${fmtInt(d.max[q])})` : '')
    const n = `N=${fmtInt(d.jobs)}, W=${d.workers}, median of ${r.options.repeat}`
    // The log-on row has pgq's value only; its ratios use the anchors' values of the row above.
    const drainCells = (label: string, pgqKey: string) => {
      const anchorCell = (q: QueueName) => (pgqKey !== 'pgq' ? '' : (missing(q, d.median, 1, []) ?? fmtInt(d.median[q]) + spread(q)))
      values.push([label, fmtInt(d.median[pgqKey]) + spread(pgqKey), ...anchors.map(anchorCell)])
      ratios.push([label, ...anchors.map((q) => missing(q, d.median, 1, []) ?? fmtX(better(d.median[pgqKey], d.median[q], true)))])
    }
    const logged = d.runs[PGQ_LOGGED] !== undefined
    drainCells(`1. drain, jobs/s (${n}${r.options.settings.pgq.logSuccess ? '; pgq success log on' : '; pgq logSuccess: false'}; min-max)`, 'pgq')
    if (logged) drainCells('1. drain, pgq with its success log on (its default), jobs/s', PGQ_LOGGED)
    const cpu = (k: 'workerCpuUsPerJob' | 'serverCpuUsPerJob') => Object.fromEntries(Object.entries(d.runs).map(([q, runs]) => [q, median(runs.map((x) => x[k]))]))
    const workerCpu = cpu('workerCpuUsPerJob')
    const serverCpu = cpu('serverCpuUsPerJob')
    compare(1, '1. worker CPU per job, µs (all worker processes; median)', workerCpu, fmtInt, false)
    compare(1, '1. server CPU per job, µs (PostgreSQL; redis-server for the Redis rows)', serverCpu, fmtInt, false)
    if (logged) {
      compare(1, '1. worker CPU per job, pgq with its success log on, µs', workerCpu, fmtInt, false, { pgq: workerCpu[PGQ_LOGGED], only: true })
      compare(1, '1. server CPU per job, pgq with its success log on, µs', serverCpu, fmtInt, false, { pgq: serverCpu[PGQ_LOGGED], only: true })
    }
    const rss = Object.fromEntries(Object.entries(d.runs).map(([q, runs]) => [q, Math.max(...runs.flatMap((x) => x.peakRssMb))]))
    compare(1, '1. peak RSS per worker process, MB (highest of the runs)', rss, fmtInt, false)
  }
  if (r.enqueue) {
    const e = r.enqueue
    const rounds = `median of ${Math.max(...Object.values(e.runs).map((x) => x.length), 0)}`
    compare(2, `2. enqueue one at a time, jobs/s (${fmtInt(e.singles)} awaited; ${rounds})`, e.singleJobsPerSec, fmtInt, true)
    compare(2, '2. statements per single enqueue', e.statementsPerSingle, fmt2, false, { na: redis })
    compare(2, `2. enqueue in batches of ${fmtInt(e.batchSize)}, jobs/s (${rounds})`, e.batchJobsPerSec, fmtInt, true)
  }
  if (r.latency) {
    const l = r.latency.byQueue
    const pick = (k: 'medianP50' | 'medianP99' | 'max') => Object.fromEntries(Object.entries(l).map(([q, s]) => [q, s[k]]))
    const one = Object.values(l)[0]
    const label = one ? `(${one.samples / Math.max(1, one.rounds.length)} jobs × ${one.rounds.length} rounds; median of the rounds)` : ''
    compare(3, `3. enqueue→start latency p50, ms ${label}`, pick('medianP50'), fmtMs, false)
    compare(3, '3. enqueue→start latency p99, ms (median of the rounds)', pick('medianP99'), fmtMs, false)
    compare(3, '3. enqueue→start latency max, ms (all rounds)', pick('max'), fmtMs, false)
  }
  if (r.memory) {
    const m = Object.entries(r.memory.byQueue)
    compare(6, `6. peak RSS of one worker draining ${fmtInt(r.memory.jobs)}, MB`, Object.fromEntries(m.map(([q, x]) => [q, x.peakRssMb])), fmtMb, false)
    compare(6, '6. RSS of that worker when ready, MB', Object.fromEntries(m.map(([q, x]) => [q, x.readyRssMb])), fmtMb, false)
  }
  const label = (q: QueueName) => ADAPTERS[q].label
  return {
    values: { header: ['metric', 'pgq', ...anchors.map(label)], rows: values },
    ratios: { header: ['pgq vs', ...anchors.map(label)], rows: ratios },
    pgqOnly: { header: ['pgq only', 'pgq'], rows: pgqOnlyRows(r) },
  }
}
