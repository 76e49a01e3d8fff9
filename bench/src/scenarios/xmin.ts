// Scenario 8 (pgq alone): drains while another session holds a transaction open (BEGIN;
// SELECT txid_current(); then nothing, for --hold seconds), next to the same drains without
// it. A window is back-to-back rounds of (enqueue N jobs in batches, drain them with W
// workers, VACUUM pgq.jobs) until the hold time has passed; the hold ends after the
// window's last drain. The VACUUM after each drain stands for an autovacuum that is on time
// (autovacuum_naptime is a minute: left to itself, it visits the table about once a window);
// while the xmin horizon is held it cannot remove the dead versions the claims and
// completions leave, so they pile up in pgq.jobs, and index scans cannot mark their
// entries dead either. Windows interleaved ABBA, each after a VACUUM and CHECKPOINT. Also
// what `pgq doctor --json` says at the end of the hold.
import pg from 'pg'
import { ADAPTERS, install, prefill } from '../adapters.ts'
import type { Ctx } from '../context.ts'
import { hasPgqCommand, runPgq } from '../pgq-cli.ts'
import { settle } from '../server.ts'
import { median, now } from '../stats.ts'
import { drainOnce, workerSettings } from './drain.ts'

export interface XminWindow {
  held: boolean
  ms: number
  /** jobs/s of each drain in the window, in order. */
  drains: number[]
  /** n_dead_tup of pgq.jobs after each drain, and after the VACUUM that follows it (dead but not removable). */
  deadTuples: number[]
  deadAfterVacuum: number[]
  /** Autovacuums of pgq.jobs during the window. */
  autovacuums: number
  /** pgq.jobs with its indexes at the window's end, MB. */
  jobsTableMb: number
}

export interface DoctorRun {
  args: string[]
  exitCode: number | null
  /** Checks that failed: name and message. */
  failed: { name: string; message: string }[]
  report?: unknown
  error?: string
}

export interface XminResult {
  jobs: number
  workers: number
  holdMs: number
  windows: XminWindow[]
  /** Median jobs/s over every drain of the windows without and with the hold. */
  freeMedian: number
  heldMedian: number
  /** Median of each window's last drain (the most dead tuples behind it). */
  freeLastMedian: number
  heldLastMedian: number
  drop: number
  /** Most dead tuples a VACUUM left in pgq.jobs (could not remove). */
  freeDeadTuplesMax: number
  heldDeadTuplesMax: number
  /** `pgq doctor --json` at the end of a held window (defaults, then --xmin-age under the hold), and once without the hold. */
  doctor: { available: boolean; held: DoctorRun[]; free: DoctorRun[] }
}

async function doctor(url: string, extra: string[]): Promise<DoctorRun> {
  const args = ['doctor', '--json', ...extra]
  const run = await runPgq(args, url, 120_000)
  try {
    const report = JSON.parse(run.stdout) as { checks?: { name: string; ok: boolean; message: string }[] }
    const failed = (report.checks ?? []).filter((c) => !c.ok).map((c) => ({ name: c.name, message: c.message }))
    return { args, exitCode: run.code, failed, report }
  } catch {
    return { args, exitCode: run.code, failed: [], error: (run.stderr || run.stdout).trim().slice(0, 2000) }
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
/** A loss (1 - during / alone) as a signed change against the other variant: 0.2 is "-20.0%". */
const change = (drop: number) => `${drop > 0 ? '-' : '+'}${Math.abs(drop * 100).toFixed(1)}%`

export async function xminScenario(ctx: Ctx): Promise<XminResult> {
  const { jobs, workers } = ctx.opts
  const holdMs = ctx.opts.holdSeconds * 1000
  const rounds = Math.max(1, Math.min(2, ctx.opts.repeat))
  const dbName = 'pgq_bench_xmin'
  const url = await ctx.server.freshDatabase(dbName)
  await install(ADAPTERS.pgq, url)
  const c = new pg.Client(url)
  await c.connect()
  const settings = workerSettings(ctx, 'pgq')
  const doctorAvailable = hasPgqCommand('doctor')
  const doctorHeld: DoctorRun[] = []
  const doctorFree: DoctorRun[] = []
  const jobsStats = async () => {
    // The workers' backends report their counts as they exit: give them a moment.
    await new Promise((r) => setTimeout(r, 300))
    const { rows } = await c.query(
      `select n_dead_tup, autovacuum_count, pg_total_relation_size(relid) as size from pg_stat_user_tables where relid = 'pgq.jobs'::regclass`,
    )
    return { dead: Number(rows[0]?.n_dead_tup ?? 0), autovacuums: Number(rows[0]?.autovacuum_count ?? 0), mb: Number(rows[0]?.size ?? 0) / 2 ** 20 }
  }
  const windows: XminWindow[] = []
  const window = async (held: boolean, round: number): Promise<XminWindow> => {
    await settle(url)
    let holder: pg.Client | undefined
    if (held) {
      holder = new pg.Client(url)
      await holder.connect()
      await holder.query('begin')
      await holder.query('select txid_current()')
    }
    const t0 = now()
    const w: XminWindow = { held, ms: 0, drains: [], deadTuples: [], deadAfterVacuum: [], autovacuums: 0, jobsTableMb: 0 }
    const autovacuums0 = (await jobsStats()).autovacuums
    try {
      do {
        const run = await drainOnce(ctx, 'pgq', url, jobs, workers, { settings, prepare: async () => void (await prefill(ADAPTERS.pgq, url, jobs)) })
        w.drains.push(run.jobsPerSec)
        w.deadTuples.push((await jobsStats()).dead)
        await c.query('vacuum pgq.jobs')
        const s = await jobsStats()
        w.deadAfterVacuum.push(s.dead)
        w.autovacuums = s.autovacuums - autovacuums0
        w.jobsTableMb = Math.round(s.mb * 10) / 10
      } while (now() - t0 < holdMs)
      w.ms = now() - t0
      if (doctorAvailable && (held || round === 1)) {
        const out = held ? doctorHeld : doctorFree
        out.push(await doctor(url, []))
        // The default --xmin-age (5 minutes) is longer than the hold: also ask with half the hold.
        if (held) out.push(await doctor(url, ['--xmin-age', `${Math.max(1, Math.floor(holdMs / 2000))}s`]))
      }
    } finally {
      if (holder) {
        await holder.query('commit').catch(() => undefined)
        await holder.end()
      }
    }
    ctx.log(
      `  xmin ${held ? 'held' : 'free'} window ${round}/${rounds} (${(w.ms / 1000).toFixed(0)} s): drains ${w.drains.map(fmt).join(', ')} jobs/s; ` +
        `pgq.jobs dead tuples after each drain ${w.deadTuples.map(fmt).join(', ')}, after its VACUUM ${w.deadAfterVacuum.map(fmt).join(', ')}; ` +
        `${w.autovacuums} autovacuums; ${w.jobsTableMb} MB`,
    )
    return w
  }
  try {
    for (let round = 1; round <= rounds; round++) {
      const order = round % 2 === 1 ? [false, true] : [true, false]
      for (const held of order) windows.push(await window(held, round))
    }
  } finally {
    await c.end()
    await ctx.server.dropDatabase(dbName)
  }
  const pick = (held: boolean) => windows.filter((w) => w.held === held)
  const all = (held: boolean) => pick(held).flatMap((w) => w.drains)
  const result: XminResult = {
    jobs,
    workers,
    holdMs,
    windows,
    freeMedian: median(all(false)),
    heldMedian: median(all(true)),
    freeLastMedian: median(pick(false).map((w) => w.drains.at(-1)!)),
    heldLastMedian: median(pick(true).map((w) => w.drains.at(-1)!)),
    drop: 1 - median(all(true)) / median(all(false)),
    freeDeadTuplesMax: Math.max(...pick(false).flatMap((w) => w.deadAfterVacuum)),
    heldDeadTuplesMax: Math.max(...pick(true).flatMap((w) => w.deadAfterVacuum)),
    doctor: { available: doctorAvailable, held: doctorHeld, free: doctorFree },
  }
  const said = (runs: DoctorRun[]) =>
    runs.map((d) => `exit ${d.exitCode}${d.failed.length ? ` (${d.failed.map((f) => f.name).join(', ')})` : ''}${d.error ? ` error: ${d.error.slice(0, 200)}` : ''}`).join('; ')
  ctx.log(
    `  xmin: drain median ${fmt(result.freeMedian)} jobs/s free, ${fmt(result.heldMedian)} with the xmin held (${change(result.drop)}; last drains ${fmt(result.freeLastMedian)} vs ${fmt(result.heldLastMedian)}); ` +
      `dead tuples max ${fmt(result.freeDeadTuplesMax)} vs ${fmt(result.heldDeadTuplesMax)}; ` +
      (doctorAvailable ? `pgq doctor during the hold: ${said(doctorHeld)}; without it: ${said(doctorFree)}` : 'pgq doctor: not in this build'),
  )
  return result
}
