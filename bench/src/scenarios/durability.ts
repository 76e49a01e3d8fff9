// Scenario 9 (pgq alone): each durability level (durable, balanced: log and statistics
// UNLOGGED, volatile: jobs too), switched with `pgq durability --level <level>` on one
// database: single enqueues awaited one after another, N jobs enqueued in batches of 1,000,
// and a drain of them by W workers with the success log on (pgq's default, so the log's
// level counts). Levels rotate each round; each measurement starts from emptied tables
// (TRUNCATE), VACUUM and CHECKPOINT. The database is set back to durable at the end.
import pg from 'pg'
import { ADAPTERS, install, openProducer, prefill } from '../adapters.ts'
import type { Ctx } from '../context.ts'
import { hasPgqCommand, runPgq } from '../pgq-cli.ts'
import { settle } from '../server.ts'
import { median, now } from '../stats.ts'
import { drainOnce, workerSettings } from './drain.ts'

export const LEVELS = ['durable', 'balanced', 'volatile'] as const
export type Level = (typeof LEVELS)[number]

/** What each level makes UNLOGGED (the same as pgq's own, used when the build has no `pgq durability`). */
const UNLOGGED: Record<Level, string[]> = { durable: [], balanced: ['log', 'statistics'], volatile: ['jobs', 'log', 'statistics', 'job_dependencies'] }

export interface DurabilityRun {
  level: Level
  singleJobsPerSec: number
  batchJobsPerSec: number
  drainJobsPerSec: number
  /** WAL written per job: single enqueues, batch enqueues, drain (bytes). */
  walPerSingle: number
  walPerBatchJob: number
  walPerDrainedJob: number
  /** How long the switch to this level took (the command's wall time, node start-up included). */
  switchMs: number
}

export interface DurabilityResult {
  jobs: number
  workers: number
  singles: number
  /** 'pgq durability' or 'ALTER TABLE' (a build without the command). */
  switchedWith: string
  runs: DurabilityRun[]
  median: Record<Level, { singleJobsPerSec: number; batchJobsPerSec: number; drainJobsPerSec: number; walPerSingle: number; walPerBatchJob: number; walPerDrainedJob: number }>
  /** pgq.jobs, pgq.log and pgq.statistics all logged again at the end. */
  restoredDurable: boolean
}

async function unloggedTables(c: pg.Client): Promise<string[]> {
  const { rows } = await c.query(
    `select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'pgq' and c.relkind = 'r' and c.relpersistence = 'u' order by 1`,
  )
  return rows.map((r) => r.relname as string)
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

export async function durabilityScenario(ctx: Ctx): Promise<DurabilityResult> {
  const { jobs, workers } = ctx.opts
  const singles = Math.min(ctx.opts.singleEnqueues, 2000)
  const rounds = Math.max(1, ctx.opts.repeat)
  const dbName = 'pgq_bench_durability'
  const url = await ctx.server.freshDatabase(dbName)
  await install(ADAPTERS.pgq, url)
  const c = new pg.Client(url)
  await c.connect()
  const withCommand = hasPgqCommand('durability')
  const settings = { ...workerSettings(ctx, 'pgq'), logSuccess: true }
  const setLevel = async (level: Level): Promise<number> => {
    const t0 = now()
    if (withCommand) {
      const run = await runPgq(['durability', '--level', level], url, 600_000)
      if (run.code !== 0) throw new Error(`pgq durability --level ${level} exited ${run.code}: ${run.stderr || run.stdout}`)
    } else {
      for (const table of ['jobs', 'log', 'statistics']) {
        await c.query(`alter table pgq.${table} set ${UNLOGGED[level].includes(table) ? 'unlogged' : 'logged'}`)
      }
      const { rows } = await c.query(`select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'pgq' and c.relkind = 'S' and c.relpersistence = 'u'`)
      for (const r of rows) await c.query(`alter sequence pgq."${r.relname}" set logged`)
    }
    const ms = now() - t0
    const unlogged = await unloggedTables(c)
    if (unlogged.join(',') !== [...UNLOGGED[level]].sort().join(',')) throw new Error(`after switching to ${level}: unlogged tables are [${unlogged.join(', ')}]`)
    return ms
  }
  const lsn = async () => String((await c.query('select pg_current_wal_lsn() as l')).rows[0]?.l)
  const walSince = async (from: string) => Number((await c.query('select pg_wal_lsn_diff(pg_current_wal_lsn(), $1) as d', [from])).rows[0]?.d)
  const reset = async () => {
    await c.query('truncate pgq.jobs, pgq.log, pgq.statistics')
    await settle(url)
  }
  const runs: DurabilityRun[] = []
  let restoredDurable = false
  try {
    for (let round = 1; round <= rounds; round++) {
      const order = LEVELS.map((_, i) => LEVELS[(i + round - 1) % LEVELS.length]!)
      for (const level of order) {
        const switchMs = await setLevel(level)
        await reset()
        const producer = await openProducer(ADAPTERS.pgq, url)
        let singleJobsPerSec = 0
        let walPerSingle = 0
        try {
          const l0 = await lsn()
          const t0 = now()
          for (let i = 0; i < singles; i++) await producer.enqueueOne({ i })
          singleJobsPerSec = singles / ((now() - t0) / 1000)
          walPerSingle = (await walSince(l0)) / singles
        } finally {
          await producer.close()
        }
        await reset()
        let batchJobsPerSec = 0
        let walPerBatchJob = 0
        let drainFrom = ''
        let walPerDrainedJob = 0
        const run = await drainOnce(ctx, 'pgq', url, jobs, workers, {
          settings,
          prepare: async () => {
            const l0 = await lsn()
            batchJobsPerSec = await prefill(ADAPTERS.pgq, url, jobs)
            walPerBatchJob = (await walSince(l0)) / jobs
            await c.query('vacuum (analyze) pgq.jobs')
            await c.query('checkpoint')
            drainFrom = await lsn()
          },
          onDone: async () => {
            walPerDrainedJob = (await walSince(drainFrom)) / jobs
          },
        })
        runs.push({ level, singleJobsPerSec, batchJobsPerSec, drainJobsPerSec: run.jobsPerSec, walPerSingle, walPerBatchJob, walPerDrainedJob, switchMs })
        ctx.log(
          `  durability ${round}/${rounds} ${level.padEnd(8)}: single enqueue ${fmt(singleJobsPerSec).padStart(6)} jobs/s, ` +
            `batches ${fmt(batchJobsPerSec).padStart(7)} jobs/s, drain ${fmt(run.jobsPerSec).padStart(7)} jobs/s; ` +
            `WAL per job ${fmt(walPerSingle)} / ${fmt(walPerBatchJob)} / ${fmt(walPerDrainedJob)} B (switch ${fmt(switchMs)} ms; load ${run.load.join(' ')})`,
        )
      }
    }
  } finally {
    await setLevel('durable')
      .then(() => (restoredDurable = true))
      .catch((e) => ctx.log(`  durability: could not set durable back: ${e}`))
    await c.end()
    await ctx.server.dropDatabase(dbName)
  }
  const keys = ['singleJobsPerSec', 'batchJobsPerSec', 'drainJobsPerSec', 'walPerSingle', 'walPerBatchJob', 'walPerDrainedJob'] as const
  const medianBy = Object.fromEntries(
    LEVELS.map((l) => [l, Object.fromEntries(keys.map((k) => [k, median(runs.filter((r) => r.level === l).map((r) => r[k]))]))]),
  ) as DurabilityResult['median']
  ctx.log(
    `  durability medians: ${LEVELS.map((l) => `${l} ${fmt(medianBy[l].singleJobsPerSec)} / ${fmt(medianBy[l].batchJobsPerSec)} / ${fmt(medianBy[l].drainJobsPerSec)}`).join('; ')} ` +
      '(single enqueue / batch enqueue / drain, jobs/s)',
  )
  return {
    jobs,
    workers,
    singles,
    switchedWith: withCommand ? 'pgq durability' : 'ALTER TABLE',
    runs,
    median: medianBy,
    restoredDurable,
  }
}
