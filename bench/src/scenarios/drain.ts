// Scenario 1: enqueue N no-op jobs in batches, then drain with W worker processes until
// empty. Timed from releasing the (connected, warmed-up) workers to the last one's 'done'.
import path from 'node:path'
import { ADAPTERS, type QueueName, prefill } from '../adapters.ts'
import { type Ctx, loadavg } from '../context.ts'
import { exited, spawnWorker, withTimeout } from '../procs.ts'
import { resetStatements, type StatementStat, settle, topStatements } from '../server.ts'
import { max, median, min, now, sum } from '../stats.ts'

export interface DrainRun {
  jobsPerSec: number
  ms: number
  prefillJobsPerSec: number
  perWorker: number[]
  peakRssMb: number[]
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

export function workerSettings(ctx: Ctx, queue: QueueName): Record<string, unknown> {
  const s = ctx.opts.settings
  return queue === 'pgq' ? s.pgq : queue === 'graphile-worker' ? s.graphile : s.pgboss
}

/** Drains `jobs` already queued in `url` with `workers` processes; returns the run. */
export async function drainOnce(
  ctx: Ctx,
  queue: QueueName,
  url: string,
  jobs: number,
  workers: number,
  options: { cpuProf?: boolean } = {},
): Promise<Omit<DrainRun, 'prefillJobsPerSec'>> {
  const adapter = ADAPTERS[queue]
  const procs = Array.from({ length: workers }, () =>
    spawnWorker(adapter, { url, mode: 'drain', settings: workerSettings(ctx, queue) }, {
      log: ctx.log,
      cpuProfDir: options.cpuProf && queue === 'pgq' ? path.join(ctx.opts.outDir, 'profiles') : undefined,
    }),
  )
  try {
    await withTimeout(Promise.all(procs.map((p) => p.ready)), 120_000, `${queue} workers ready`)
    const load = loadavg()
    const t0 = now()
    for (const p of procs) p.send({ type: 'go' })
    const done = await withTimeout(Promise.all(procs.map((p) => p.done)), 30 * 60_000, `${queue} drain`)
    const ms = now() - t0
    const perWorker = done.map((d) => d.processed ?? 0)
    const left = await adapter.pending(url)
    if (sum(perWorker) !== jobs || left !== 0) {
      throw new Error(`${queue}: drained ${sum(perWorker)} of ${jobs} jobs, ${left} left in the queue`)
    }
    await Promise.all(procs.map((p) => exited(p)))
    return { jobsPerSec: jobs / (ms / 1000), ms, perWorker, peakRssMb: done.map((d) => (d.peakRssKb ?? 0) / 1024), load }
  } finally {
    for (const p of procs) p.kill()
  }
}

export async function drainScenario(ctx: Ctx): Promise<DrainResult> {
  const { jobs, workers, repeat, queues } = ctx.opts
  const runs: Record<string, DrainRun[]> = {}
  const statements: Record<string, StatementStat[]> = {}
  for (let rep = 1; rep <= repeat; rep++) {
    for (const queue of queues) {
      const adapter = ADAPTERS[queue]
      const dbName = `pgq_bench_${adapter.slug}`
      const url = await ctx.server.freshDatabase(dbName)
      await adapter.install(url)
      const prefillJobsPerSec = await prefill(adapter, url, jobs)
      await settle(url)
      await resetStatements(ctx.server)
      const run = await drainOnce(ctx, queue, url, jobs, workers, { cpuProf: ctx.opts.cpuProf && rep === repeat })
      statements[queue] = await topStatements(ctx.server, dbName)
      ;(runs[queue] ??= []).push({ ...run, prefillJobsPerSec })
      ctx.log(
        `  drain ${rep}/${repeat} ${queue.padEnd(15)} ${Math.round(run.jobsPerSec).toLocaleString('en-US').padStart(8)} jobs/s ` +
          `(${Math.round(run.ms)} ms; per worker ${run.perWorker.join('/')}; load ${run.load.join(' ')})`,
      )
      await ctx.server.dropDatabase(dbName)
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
    settings: Object.fromEntries(queues.map((q) => [q, workerSettings(ctx, q)])),
  }
}
