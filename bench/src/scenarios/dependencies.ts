// Scenario 10 (pgq alone): what a dependency costs a drain. On one fresh database, tables
// emptied (TRUNCATE, VACUUM, CHECKPOINT) before each measurement, W worker processes drain
// (as in scenario 1) N jobs of each shape, the shapes rotating each round:
//   baseline  N independent no-op jobs (batches of 1,000, as scenario 1 enqueues them);
//   fan-out   one parent and N-1 children with dependsOn: [parent] (enqueueMany, batches of
//             1,000). The bench runs the parent itself before the workers are released; the
//             statement finishing it releases the N-1 children (timed by pg_stat_statements),
//             and the clock times the drain of the released children only;
//   chains    N/100 chains of 100, each job waiting for the one before it (queue.flow(), 100
//             chains per flow): the workers release each next link as they finish;
//   fan-in    groups of 1,000: 999 parents and one child depending on all of them.
// Each enqueue is timed too. Per-job overhead: 1e6 / (shape's jobs/s) - 1e6 / (baseline's).
import { withPgClient } from '@pgq/core'
import { ADAPTERS, install, prefill } from '../adapters.ts'
import { type Ctx, loadavg } from '../context.ts'
import { fmtInt } from '../report-format.ts'
import { resetStatements, settle, topStatements } from '../server.ts'
import { median } from '../stats.ts'
import { CHAIN_LENGTH, type DependencyQueue, enqueueShape, FAN_IN_GROUP, openDependencyQueue, runParent, SHAPES, type Shape } from './dependency-shapes.ts'
import { drainOnce, workerSettings } from './drain.ts'

export interface DependencyRun {
  shape: Shape
  round: number
  /** Jobs the workers drained (the fan-out's parent is not one of them). */
  drained: number
  enqueueJobsPerSec: number
  drainJobsPerSec: number
  drainMs: number
  perWorker: number[]
  /** The share of the jobs the busiest worker drained. */
  busiestShare: number
  workerCpuUsPerJob: number
  serverCpuUsPerJob: number
  /** Fan-out: the parent's finishing statement (pg_stat_statements; NaN without it), ms. */
  releaseMs: number
  /** Fan-out: the bench's drain of the parent, claim to last write, ms. */
  parentDrainMs: number
  load: [number, number, number]
}

export interface ShapeMedians {
  enqueueJobsPerSec: number
  drainJobsPerSec: number
  workerCpuUsPerJob: number
  serverCpuUsPerJob: number
  /** Drain jobs/s over the baseline's (medians). */
  ratio: number
  /** Wall time per job over the baseline's, µs (medians; 2 cores shared by workers and server). */
  overheadUs: number
  /** The share of the jobs the busiest worker drained (median): 1 when the others found nothing to claim and left. */
  busiestShare: number
}

export interface DependenciesResult {
  jobs: number
  workers: number
  rounds: number
  chainLength: number
  fanInGroup: number
  runs: DependencyRun[]
  median: Record<Shape, ShapeMedians>
  /** Fan-out: the statement finishing the parent and releasing its N-1 children, ms (median), and per child, µs. */
  release: { ms: number; usPerChild: number; parentDrainMs: number }
}

const STATE_TABLES = ['jobs', 'log', 'statistics', 'job_dependencies'].map((t) => `pgq.${t}`).join(', ')

export async function dependenciesScenario(ctx: Ctx): Promise<DependenciesResult> {
  const { jobs, workers } = ctx.opts
  if (jobs < 2) throw new Error('scenario 10 needs --jobs 2 or more (a fan-out is a parent and its children)')
  const rounds = Math.max(1, ctx.opts.repeat)
  const dbName = 'pgq_bench_dependencies'
  const url = await ctx.server.freshDatabase(dbName)
  const runs: DependencyRun[] = []
  try {
    await install(ADAPTERS.pgq, url)
    const q = openDependencyQueue(url, ctx.opts.settings.pgq.logSuccess)
    try {
      await q.producer.queueSize() // the schema check, before anything is timed
      for (let round = 1; round <= rounds; round++) {
        const order = SHAPES.map((_, i) => SHAPES[(i + round - 1) % SHAPES.length]!)
        for (const shape of order) {
          const run = await measureShape(ctx, q, url, dbName, shape)
          runs.push({ ...run, round })
          ctx.log(
            `  dependencies ${round}/${rounds} ${shape.padEnd(8)}: drain ${fmtInt(run.drainJobsPerSec).padStart(7)} jobs/s (${fmtInt(run.drainMs)} ms; per worker ${run.perWorker.join('/')}), ` +
              `enqueue ${fmtInt(run.enqueueJobsPerSec)} jobs/s; CPU per job: workers ${run.workerCpuUsPerJob.toFixed(0)} µs, server ${run.serverCpuUsPerJob.toFixed(0)} µs` +
              `${shape === 'fan-out' ? `; release of ${fmtInt(run.drained)}: ${fmtInt(run.releaseMs)} ms in the finishing statement (parent's drain ${fmtInt(run.parentDrainMs)} ms)` : ''}; load ${run.load.join(' ')}`,
          )
        }
      }
    } finally {
      await q.close()
    }
  } finally {
    await ctx.server.dropDatabase(dbName)
  }
  const result = summarize(jobs, workers, rounds, runs)
  ctx.log(
    `  dependencies medians (drain jobs/s; × baseline; µs per job more): ${SHAPES.map((s) => {
      const m = result.median[s]
      return `${s} ${fmtInt(m.drainJobsPerSec)}; ${m.ratio.toFixed(2)}×; ${m.overheadUs.toFixed(1)}`
    }).join(' | ')}; fan-out release ${fmtInt(result.release.ms)} ms (load ${loadavg().join(' ')})`,
  )
  return result
}

/** One shape on emptied tables: enqueue (and for the fan-out, run the parent), then the timed drain. */
async function measureShape(ctx: Ctx, q: DependencyQueue, url: string, dbName: string, shape: Shape): Promise<Omit<DependencyRun, 'round'>> {
  const { jobs, workers } = ctx.opts
  await withPgClient(url, (c) => c.query(`truncate ${STATE_TABLES}`))
  await settle(url)
  let enqueueJobsPerSec = 0
  let releaseMs = Number.NaN
  let parentDrainMs = Number.NaN
  const drained = shape === 'fan-out' ? jobs - 1 : jobs
  const prepare = async () => {
    if (shape === 'baseline') enqueueJobsPerSec = await prefill(ADAPTERS.pgq, url, jobs)
    else enqueueJobsPerSec = jobs / ((await enqueueShape(q, shape, jobs)).enqueueMs / 1000)
    await settle(url)
    if (shape !== 'fan-out') return
    await resetStatements(ctx.server)
    parentDrainMs = await runParent(q)
    const finish = (await topStatements(ctx.server, dbName, 50)).find((s) => s.query.includes('release_dependents'))
    if (finish) releaseMs = finish.totalMs
    const left = (await q.producer.queueSize()).map((r) => `${r.count} ${r.status}`).join(', ')
    if (left !== `${drained} queued`) throw new Error(`fan-out: after the parent finished the queue holds ${left || 'nothing'}; expected its ${drained} children queued`)
  }
  const run = await drainOnce(ctx, 'pgq', url, drained, workers, { settings: workerSettings(ctx, 'pgq'), prepare })
  return {
    shape,
    drained,
    enqueueJobsPerSec,
    drainJobsPerSec: run.jobsPerSec,
    drainMs: run.ms,
    perWorker: run.perWorker,
    busiestShare: Math.max(...run.perWorker) / drained,
    workerCpuUsPerJob: run.workerCpuUsPerJob,
    serverCpuUsPerJob: run.serverCpuUsPerJob,
    releaseMs,
    parentDrainMs,
    load: run.load,
  }
}

function summarize(jobs: number, workers: number, rounds: number, runs: DependencyRun[]): DependenciesResult {
  const of = (shape: Shape, k: keyof DependencyRun) => median(runs.filter((r) => r.shape === shape).map((r) => r[k] as number))
  const base = of('baseline', 'drainJobsPerSec')
  const medians = Object.fromEntries(
    SHAPES.map((s) => {
      const drain = of(s, 'drainJobsPerSec')
      return [
        s,
        {
          enqueueJobsPerSec: of(s, 'enqueueJobsPerSec'),
          drainJobsPerSec: drain,
          workerCpuUsPerJob: of(s, 'workerCpuUsPerJob'),
          serverCpuUsPerJob: of(s, 'serverCpuUsPerJob'),
          busiestShare: of(s, 'busiestShare'),
          ratio: drain / base,
          overheadUs: 1e6 / drain - 1e6 / base,
        },
      ]
    }),
  ) as Record<Shape, ShapeMedians>
  const releaseMs = of('fan-out', 'releaseMs')
  return {
    jobs,
    workers,
    rounds,
    chainLength: CHAIN_LENGTH,
    fanInGroup: FAN_IN_GROUP,
    runs,
    median: medians,
    release: { ms: releaseMs, usPerChild: (releaseMs * 1000) / (jobs - 1), parentDrainMs: of('fan-out', 'parentDrainMs') },
  }
}
