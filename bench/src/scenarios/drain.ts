// Scenario 1: enqueue N no-op jobs in batches, then drain with W worker processes until
// empty. Timed from releasing the (connected, warmed-up) workers to the last one's 'done'.
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { type Adapter, ADAPTERS, FLOOR, prefillWith, type QueueName, withInstalled } from '../adapters.ts'
import { type Ctx, loadavg } from '../context.ts'
import { guarded } from '../guard.ts'
import { exited, spawnWorker, withTimeout } from '../procs.ts'
import { resetStatements, type StatementStat, topStatements } from '../server.ts'
import { max, median, min, now, sum } from '../stats.ts'
import { dropTarget, freshTarget, settleTarget, storeCpuUs } from '../stores.ts'

export interface DrainRun {
  jobsPerSec: number
  ms: number
  prefillJobsPerSec: number
  perWorker: number[]
  peakRssMb: number[]
  /** Worker CPU time (all processes) per job drained, µs. */
  workerCpuUsPerJob: number
  /** CPU time of the queue's server per job drained, µs: PostgreSQL (all its processes; NaN on an external server), or redis-server. */
  serverCpuUsPerJob: number
  /** RSS when connected and warmed up, before the drain. */
  readyRssMb: number[]
  load: [number, number, number]
}

export interface DrainResult {
  jobs: number
  workers: number
  runs: Record<string, DrainRun[]>
  median: Record<string, number>
  min: Record<string, number>
  max: Record<string, number>
  /** pg_stat_statements of the last run's drain, per queue. */
  statements: Record<string, StatementStat[]>
  settings: Record<string, unknown>
}

export const workerSettings = (ctx: Ctx, queue: QueueName): Record<string, unknown> => ADAPTERS[queue].settings(ctx.opts.settings)

/** Drains `jobs` already queued in `url` (a database, or a redis-server) with `workers` processes; returns the run. */
export async function drainOnce(
  ctx: Ctx,
  queue: QueueName,
  url: string,
  jobs: number,
  workers: number,
  options: {
    cpuProf?: boolean
    prepare?: () => Promise<void>
    settings?: Record<string, unknown>
    /** Called as the workers are released (the clock starts), and when the last one is done (before any check). */
    onGo?: () => void
    onDone?: () => Promise<void> | void
    /** Runs this adapter's workers instead of the queue's (the floor). */
    adapter?: Adapter
  } = {},
): Promise<Omit<DrainRun, 'prefillJobsPerSec'>> {
  const adapter = options.adapter ?? ADAPTERS[queue]
  const cpuProfDir = options.cpuProf && queue === 'pgq' ? path.join(ctx.opts.outDir, 'profiles') : undefined
  if (cpuProfDir) mkdirSync(cpuProfDir, { recursive: true })
  const procs = Array.from({ length: workers }, () =>
    spawnWorker(adapter, { url, mode: 'drain', settings: options.settings ?? adapter.settings(ctx.opts.settings), cpuProfDir }, { log: ctx.log }),
  )
  try {
    // The workers warm up on the empty queue; the jobs are enqueued once they are ready.
    const readies = await withTimeout(Promise.all(procs.map((p) => p.ready)), 120_000, `${queue} workers ready`)
    await options.prepare?.()
    const load = loadavg()
    const serverCpu0 = storeCpuUs(ctx, adapter)
    const t0 = now()
    options.onGo?.()
    for (const p of procs) p.send({ type: 'go' })
    const done = await withTimeout(Promise.all(procs.map((p) => p.done)), 30 * 60_000, `${queue} drain`)
    const ms = now() - t0
    await options.onDone?.()
    if (process.env.BENCH_DEBUG) for (const d of done) ctx.log(`    ${queue} worker: done at ${((d.finishedAt ?? 0) - t0).toFixed(1)} ms, ${JSON.stringify(d.summary ?? {})}`)
    const serverCpu1 = storeCpuUs(ctx, adapter)
    const perWorker = done.map((d) => d.processed ?? 0)
    const left = await adapter.pending(url)
    if (sum(perWorker) !== jobs || left !== 0) {
      throw new Error(`${queue}: drained ${sum(perWorker)} of ${jobs} jobs, ${left} left in the queue`)
    }
    await Promise.all(procs.map((p) => exited(p)))
    return {
      jobsPerSec: jobs / (ms / 1000),
      ms,
      perWorker,
      peakRssMb: done.map((d) => (d.peakRssKb ?? 0) / 1024),
      readyRssMb: readies.map((r) => (r.rssKb ?? 0) / 1024),
      workerCpuUsPerJob: sum(done.map((d) => d.cpuUs ?? 0)) / jobs,
      serverCpuUsPerJob: serverCpu0 === undefined || serverCpu1 === undefined ? Number.NaN : (serverCpu1 - serverCpu0) / jobs,
      load,
    }
  } finally {
    for (const p of procs) p.kill()
  }
}

/** Scenario 1's extra pgq drain with its default success log, when the bench's pgq has it off. */
export const PGQ_LOGGED = 'pgq+log'

/** A variant's median CPU per job (µs) in scenario 1, if it ran. */
export function medianCpu(d: DrainResult, variant: string, k: 'workerCpuUsPerJob' | 'serverCpuUsPerJob'): number | undefined {
  const runs = d.runs[variant]
  return runs ? median(runs.map((x) => x[k])) : undefined
}

/** One drain of one variant on a fresh store; `last`: the last repetition (statements, CPU profile). */
async function drainRound(ctx: Ctx, variant: string, queue: QueueName, last: boolean, statements: Record<string, StatementStat[]>): Promise<DrainRun> {
  const { jobs, workers } = ctx.opts
  const adapter = variant === FLOOR.name ? FLOOR : ADAPTERS[queue]
  const settings = variant === PGQ_LOGGED ? { ...ctx.opts.settings.pgq, logSuccess: true } : undefined
  const dbName = `pgq_bench_${adapter.slug}`
  const url = await freshTarget(ctx, adapter, dbName)
  try {
    let prefillJobsPerSec = 0
    const cpuProf = ctx.opts.cpuProf && last && variant === queue
    const run = await withInstalled(adapter, url, (client) => {
      const prepare = async () => {
        prefillJobsPerSec = await prefillWith(client, url, jobs)
        await settleTarget(ctx, adapter, url)
        await resetStatements(ctx.server)
      }
      return drainOnce(ctx, queue, url, jobs, workers, { cpuProf, prepare, settings, adapter })
    })
    if (last && adapter.store === 'postgres') statements[variant] = await topStatements(ctx.server, dbName)
    return { ...run, prefillJobsPerSec }
  } finally {
    await dropTarget(ctx, adapter, dbName)
  }
}

export async function drainScenario(ctx: Ctx): Promise<DrainResult> {
  const { jobs, workers, repeat, queues } = ctx.opts
  const runs: Record<string, DrainRun[]> = {}
  const statements: Record<string, StatementStat[]> = {}
  const variants = queues.flatMap((q) => (q !== 'pgq' ? [q] : ctx.opts.settings.pgq.logSuccess ? ['pgq', FLOOR.name] : ['pgq', PGQ_LOGGED, FLOOR.name]))
  for (let rep = 1; rep <= repeat; rep++) {
    for (const variant of variants) {
      const queue: QueueName = variant === PGQ_LOGGED || variant === FLOOR.name ? 'pgq' : (variant as QueueName)
      const run = await guarded(ctx, 1, queue, () => drainRound(ctx, variant, queue, rep === repeat, statements))
      if (!run) continue
      runs[variant] = [...(runs[variant] ?? []), run]
      ctx.log(
        `  drain ${rep}/${repeat} ${variant.padEnd(16)} ${Math.round(run.jobsPerSec).toLocaleString('en-US').padStart(8)} jobs/s ` +
          `(${Math.round(run.ms)} ms; per worker ${run.perWorker.join('/')}; CPU per job: workers ${run.workerCpuUsPerJob.toFixed(0)} µs, server ${run.serverCpuUsPerJob.toFixed(0)} µs; load ${run.load.join(' ')})`,
      )
    }
  }
  const pick = (f: (v: number[]) => number) =>
    Object.fromEntries(Object.entries(runs).map(([q, r]) => [q, f(r.map((x) => x.jobsPerSec))]))
  return {
    jobs,
    workers,
    runs,
    median: pick(median),
    min: pick(min),
    max: pick(max),
    statements,
    settings: { ...Object.fromEntries(queues.map((q) => [q, workerSettings(ctx, q)])), ...(runs[FLOOR.name] ? { [FLOOR.name]: FLOOR.settings(ctx.opts.settings) } : {}) },
  }
}
