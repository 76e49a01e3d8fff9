// The targets of issue 14 (and the earlier ones still standing), judged from one run's
// medians. An anchor that did not run leaves its target out: "not judged" is printed instead.
import { ADAPTERS, ANCHORS, FLOOR, type QueueName } from './adapters.ts'
import { fmtInt, fmtMs, fmtPct, fmtUs, fmtX } from './report-format.ts'
import type { Results, Target } from './report.ts'
import { medianCpu, PGQ_LOGGED } from './scenarios/drain.ts'

const BULLMQ: QueueName[] = ['bullmq-redis-aof', 'bullmq-redis-nopersist', 'bullmq-pg']

export function targets(r: Results): Target[] {
  const t: Target[] = []
  const d = r.drain
  if (d) {
    // pgq's default keeps a log row per success: the drain targets use that row.
    const loggedKey = d.median[PGQ_LOGGED] !== undefined ? PGQ_LOGGED : r.options.settings.pgq.logSuccess ? 'pgq' : undefined
    const logged = loggedKey ? d.median[loggedKey] : undefined
    const off = loggedKey === PGQ_LOGGED ? d.median.pgq : undefined
    const vs = (q: QueueName, goal: number) => {
      const other = d.median[q]
      if (logged === undefined || other === undefined) return
      const x = logged / other
      const offText = off === undefined ? '' : ` (success log off: ${fmtX(off / other)})`
      t.push({ what: `drain, success log on, vs ${ADAPTERS[q].label}`, goal: `≥ ${goal}×`, measured: fmtX(x) + offText, met: x >= goal })
    }
    vs('graphile-worker', 1.5)
    vs('bullmq-redis-aof', 2)
    if (logged !== undefined && d.median['bullmq-redis-nopersist'] !== undefined) {
      t.push({ what: `drain, success log on, vs ${ADAPTERS['bullmq-redis-nopersist'].label} (reported)`, goal: '-', measured: fmtX(logged / d.median['bullmq-redis-nopersist']!), met: null })
    }
    const cpu = (key: string | undefined, k: 'workerCpuUsPerJob' | 'serverCpuUsPerJob') => (key ? medianCpu(d, key, k) : undefined)
    const cpuTarget = (k: 'workerCpuUsPerJob' | 'serverCpuUsPerJob', what: string, goal: number) => {
      const on = cpu(loggedKey, k)
      if (on === undefined || Number.isNaN(on)) return
      const offCpu = loggedKey === PGQ_LOGGED ? cpu('pgq', k) : undefined
      const floor = cpu(FLOOR.name, k)
      const measured = `${fmtUs(on)} µs${offCpu === undefined ? '' : ` (log off: ${fmtUs(offCpu)} µs)`}${floor === undefined ? '' : `; the floor: ${fmtUs(floor)} µs`}`
      t.push({ what: `${what} CPU per job, success log on`, goal: `≤ ${goal} µs`, measured, met: on <= goal })
    }
    cpuTarget('workerCpuUsPerJob', 'worker', 6)
    cpuTarget('serverCpuUsPerJob', 'PostgreSQL', 12)
  }
  const l = r.latency?.byQueue
  const gw = l?.['graphile-worker']
  if (l?.pgq && gw) {
    t.push({ what: 'latency p50 vs graphile-worker', goal: '≤ 0.8×', measured: `${fmtMs(l.pgq.medianP50)} vs ${fmtMs(gw.medianP50)} ms (${fmtX(l.pgq.medianP50 / gw.medianP50)})`, met: l.pgq.medianP50 <= 0.8 * gw.medianP50 })
    t.push({ what: 'latency p99 vs graphile-worker', goal: '≤ 1×', measured: `${fmtMs(l.pgq.medianP99)} vs ${fmtMs(gw.medianP99)} ms`, met: l.pgq.medianP99 <= gw.medianP99 })
  }
  const bull = BULLMQ.filter((q) => l?.[q])
  if (l?.pgq && bull.length) {
    const text = bull.map((q) => `${q} ${fmtMs(l[q]!.medianP50)} / ${fmtMs(l[q]!.medianP99)}`).join(', ')
    const met = bull.every((q) => l.pgq!.medianP50 <= l[q]!.medianP50 && l.pgq!.medianP99 <= l[q]!.medianP99)
    t.push({ what: 'latency p50 / p99 ≤ every BullMQ row', goal: '≤ 1×', measured: `pgq ${fmtMs(l.pgq.medianP50)} / ${fmtMs(l.pgq.medianP99)} ms; ${text}`, met })
  }
  const m = r.memory?.byQueue
  if (m?.pgq && m['graphile-worker']) {
    t.push({ what: 'peak RSS per worker vs graphile-worker', goal: '≤ 1×', measured: `${m.pgq.peakRssMb.toFixed(1)} vs ${m['graphile-worker'].peakRssMb.toFixed(1)} MB`, met: m.pgq.peakRssMb <= m['graphile-worker'].peakRssMb })
  }
  const e = r.enqueue
  if (e?.singleJobsPerSec.pgq !== undefined) {
    const anchors = ANCHORS.filter((q) => e.singleJobsPerSec[q] !== undefined)
    for (const [what, v] of [['single enqueue', e.singleJobsPerSec], ['batch enqueue', e.batchJobsPerSec]] as const) {
      if (!anchors.length) continue
      const worst = Math.min(...anchors.map((q) => v.pgq! / v[q]!))
      t.push({ what: `${what} ahead of every anchor (lowest ratio)`, goal: '> 1×', measured: fmtX(worst), met: worst > 1 })
    }
  }
  if (r.edge) {
    const defaults = r.edge.invocations.filter((i) => !i.estimated)
    if (defaults.length) {
      const most = Math.max(...defaults.map((i) => i.roundTrips))
      t.push({ what: 'Workers-style drain invocation (defaults), round trips after connect', goal: '≤ 3', measured: `${most} (batches ${defaults.map((i) => i.batch).join('/')})`, met: most <= 3 })
    }
    const rt = r.edge.enqueue.roundTripsPerEnqueue
    t.push({ what: 'round trips per enqueue after connect', goal: '1', measured: rt.toFixed(2), met: rt <= 1 })
  }
  if (r.backlog) t.push({ what: 'claim at 1M backlog vs empty', goal: '≤ 2×', measured: fmtX(r.backlog.ratio), met: r.backlog.ratio <= 2 })
  if (r.prune) {
    const drop = r.prune.batched.drop
    t.push({ what: `drain during the full-speed prune of ${fmtInt(r.prune.oldRows)} log rows`, goal: '> -10%', measured: fmtPct(-drop), met: drop < 0.1 })
    if (r.prune.batched.paced.length) {
      const paced = r.prune.batched.pacedDrop
      t.push({ what: `drain during the paced prune (pace ${r.prune.batched.pause})`, goal: '> -10%', measured: fmtPct(-paced), met: paced < 0.1 })
    }
  }
  return t
}
