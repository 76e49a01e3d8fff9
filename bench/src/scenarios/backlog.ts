// Scenario 4 (pgq alone): how long claiming a 100-job batch takes as the backlog grows
// (0, 100k, 1M queued jobs; 1M log rows at the last level), and the claim's plan at the
// largest backlog, as the worker's prepared statement runs it (auto_explain).
import { randomUUID } from 'node:crypto'
import type { PgqDriver } from '@pgq/core'
import pg from 'pg'
import { ADAPTERS, install } from '../adapters.ts'
import type { Ctx } from '../context.ts'
import { core } from '../core.mjs'
import { settle } from '../server.ts'
import { median, quantile } from '../stats.ts'

const { createConsumer, nodePostgresDriver } = core

export interface BacklogLevel {
  queued: number
  logRows: number
  claimMsP50: number
  claimMsP90: number
  completeMsP50: number
}

export interface BacklogResult {
  batch: number
  reps: number
  levels: BacklogLevel[]
  /** claim p50 at the largest backlog / at the empty queue. */
  ratio: number
  /** EXPLAIN (ANALYZE, BUFFERS) of the claim (and the statements inside it) at the largest backlog. */
  claimPlan: string
  completePlan: string
}

const BATCH = 100
const CLAIM_SPEC = [{ name: 'noop', cap: BATCH, retryAfterMs: 60_000 }]

export async function backlogScenario(ctx: Ctx): Promise<BacklogResult> {
  const dbName = 'pgq_bench_backlog'
  const url = await ctx.server.freshDatabase(dbName)
  await install(ADAPTERS.pgq, url)
  const sqlClient = new pg.Client(url)
  await sqlClient.connect()
  const pool = new pg.Pool({ connectionString: url, max: 2 })
  const driver = nodePostgresDriver({ pool })
  const consumer = createConsumer({ driver, workerId: randomUUID() })
  const levels: BacklogLevel[] = []
  const reps = ctx.opts.backlogReps
  let queued = 0
  let logRows = 0
  let claimPlan = ''
  let completePlan = ''
  const addJobs = (n: number) =>
    sqlClient.query(`insert into pgq.jobs (entrypoint, payload) select 'noop', '{}'::jsonb from generate_series(1, ${n})`)
  try {
    const targets = ctx.opts.backlogLevels
    for (const [i, target] of targets.entries()) {
      const last = i === targets.length - 1
      if (target > queued) {
        for (let left = target - queued; left > 0; left -= 100_000) await addJobs(Math.min(100_000, left))
        queued = target
      }
      if (last && ctx.opts.backlogLogRows > logRows) {
        await sqlClient.query(
          `insert into pgq.log (job_id, status, priority, entrypoint, created)
           select g, 'successful', 0, 'noop', now() - interval '1 hour' from generate_series(1, ${ctx.opts.backlogLogRows - logRows}) g`,
        )
        logRows = ctx.opts.backlogLogRows
      }
      await settle(url)
      const claims: number[] = []
      const completes: number[] = []
      for (let rep = -3; rep < reps; rep++) {
        await addJobs(BATCH) // the queue keeps its size: 100 in, 100 out
        const t0 = performance.now()
        const jobs = await consumer.claim(BATCH, CLAIM_SPEC)
        const t1 = performance.now()
        await consumer.complete(jobs.map((j) => j.id))
        const t2 = performance.now()
        if (jobs.length !== BATCH) throw new Error(`claimed ${jobs.length} jobs, expected ${BATCH}`)
        if (rep < 0) continue // warm-up
        claims.push(t1 - t0)
        completes.push(t2 - t1)
      }
      const level = {
        queued,
        logRows,
        claimMsP50: median(claims),
        claimMsP90: quantile(claims, 0.9),
        completeMsP50: median(completes),
      }
      levels.push(level)
      ctx.log(
        `  backlog ${queued.toLocaleString('en-US').padStart(9)} queued, ${logRows.toLocaleString('en-US')} log rows: ` +
          `claim p50 ${level.claimMsP50.toFixed(2)} ms (p90 ${level.claimMsP90.toFixed(2)}), complete p50 ${level.completeMsP50.toFixed(2)} ms`,
      )
      if (last) ({ claimPlan, completePlan } = await explainClaim(ctx, url))
    }
  } finally {
    await sqlClient.end()
    await pool.end()
    await ctx.server.dropDatabase(dbName)
  }
  const first = levels[0]?.claimMsP50 ?? Number.NaN
  const lastLevel = levels[levels.length - 1]?.claimMsP50 ?? Number.NaN
  return { batch: BATCH, reps, levels, ratio: lastLevel / first, claimPlan, completePlan }
}

/**
 * The claim's and the completion's plans, as a worker runs them: through pgq's consumer on
 * a node-postgres connection (so the claim is the prepared statement, on its cached plan
 * after warm-up calls), reported by auto_explain (ANALYZE, BUFFERS, nested statements).
 * Inside a transaction that is rolled back, so the queue is unchanged.
 */
async function explainClaim(ctx: Ctx, url: string): Promise<{ claimPlan: string; completePlan: string }> {
  if (!ctx.server.autoExplain) return { claimPlan: '(auto_explain is not available on this server)', completePlan: '' }
  const c = new pg.Client(url)
  await c.connect()
  const notices: string[] = []
  c.on('notice', (n) => notices.push(n.message ?? String(n)))
  try {
    await c.query('begin')
    await c.query("load 'auto_explain'")
    for (const s of [
      'auto_explain.log_min_duration = 0',
      'auto_explain.log_analyze = on',
      'auto_explain.log_buffers = on',
      'auto_explain.log_timing = on',
      'auto_explain.log_nested_statements = on',
      "auto_explain.log_level = 'notice'",
    ]) {
      await c.query(`set local ${s}`)
    }
    const consumer = createConsumer({ driver: clientDriver(c), workerId: randomUUID() })
    // Postgres may switch a prepared statement to its generic plan after five calls: warm up as a busy worker would.
    let claimed: Awaited<ReturnType<typeof consumer.claim>> = []
    for (let i = 0; i < 7; i++) {
      notices.length = 0
      claimed = await consumer.claim(BATCH, CLAIM_SPEC)
    }
    const claimPlan = notices.join('\n\n')
    notices.length = 0
    await consumer.complete(claimed.map((j) => j.id))
    return { claimPlan, completePlan: notices.join('\n\n') }
  } finally {
    await c.query('rollback').catch(() => undefined)
    await c.end()
  }
}

/**
 * A pgq driver whose every statement runs on `client`, inside the caller's open transaction
 * (its `set local`s apply, and the rollback undoes the claims), named as a worker names them.
 */
function clientDriver(client: pg.Client): PgqDriver {
  const query = (text: string, values: unknown[], options?: { name?: string | undefined }) =>
    client.query(options?.name ? { name: options.name, text, values } : { text, values })
  return {
    name: 'bench-explain',
    preparedStatements: true,
    query,
    transaction: (work) => work({ query }),
    listener: () => Promise.reject(new Error('no LISTEN on the explain connection')),
    end: async () => undefined,
  }
}
