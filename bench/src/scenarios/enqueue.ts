// Scenario 2: enqueue throughput on one connection: single enqueues awaited one after
// another, and batches of 1,000, in `repeat` rounds interleaved across the queues (medians
// reported). Timed where the client runs (an anchor on Node 22 in its own process).
// Statements per call from pg_stat_statements (PostgreSQL-backed queues, first round).
import { ADAPTERS, type QueueName, withInstalled } from '../adapters.ts'
import type { Producer } from '../clients.ts'
import type { Ctx } from '../context.ts'
import { guarded } from '../guard.ts'
import { resetStatements, statementCalls } from '../server.ts'
import { median } from '../stats.ts'
import { dropTarget, freshTarget } from '../stores.ts'

export interface EnqueueRun {
  singleJobsPerSec: number
  batchJobsPerSec: number
}

export interface EnqueueResult {
  singles: number
  batchJobs: number
  batchSize: number
  runs: Record<string, EnqueueRun[]>
  /** Medians over the rounds. */
  singleJobsPerSec: Record<string, number>
  batchJobsPerSec: Record<string, number>
  /** Top-level statements the server ran per single enqueue (NaN without pg_stat_statements; absent for Redis). */
  statementsPerSingle: Record<string, number>
  statementsPerBatch: Record<string, number>
}

export async function enqueueScenario(ctx: Ctx): Promise<EnqueueResult> {
  const singles = ctx.opts.singleEnqueues
  const batchSize = 1000
  const batchJobs = Math.max(batchSize, Math.round(ctx.opts.jobs / batchSize) * batchSize)
  const r: EnqueueResult = { singles, batchJobs, batchSize, runs: {}, singleJobsPerSec: {}, batchJobsPerSec: {}, statementsPerSingle: {}, statementsPerBatch: {} }
  for (let round = 1; round <= ctx.opts.repeat; round++) {
    for (const queue of ctx.opts.queues) {
      const run = await guarded(ctx, 2, queue, () => enqueueOnce(ctx, queue, r, round === 1))
      if (!run) continue
      r.runs[queue] = [...(r.runs[queue] ?? []), run]
      const statements = r.statementsPerSingle[queue] === undefined ? '' : ` (${r.statementsPerSingle[queue]!.toFixed(2)} statements each)`
      ctx.log(
        `  enqueue ${round}/${ctx.opts.repeat} ${queue.padEnd(16)} single ${Math.round(run.singleJobsPerSec)} jobs/s${statements}, batch ${Math.round(run.batchJobsPerSec)} jobs/s`,
      )
    }
  }
  for (const [queue, runs] of Object.entries(r.runs)) {
    r.singleJobsPerSec[queue] = median(runs.map((x) => x.singleJobsPerSec))
    r.batchJobsPerSec[queue] = median(runs.map((x) => x.batchJobsPerSec))
  }
  return r
}

/** One round of one queue; `withStatements`: also count statements per call (into `r`). */
async function enqueueOnce(ctx: Ctx, queue: QueueName, r: EnqueueResult, withStatements: boolean): Promise<EnqueueRun> {
  const adapter = ADAPTERS[queue]
  const dbName = `pgq_bench_${adapter.slug}`
  const url = await freshTarget(ctx, adapter, dbName)
  const counting = withStatements && adapter.store === 'postgres'
  const measure = async (producer: Producer): Promise<EnqueueRun> => {
    await producer.timeSingles(50) // warm-up: connection, prepared plans
    await resetStatements(ctx.server)
    const singleJobsPerSec = r.singles / ((await producer.timeSingles(r.singles)) / 1000)
    if (counting) r.statementsPerSingle[queue] = (await statementCalls(ctx.server, dbName)) / r.singles
    await producer.timeBatches(r.batchSize, r.batchSize) // warm-up
    await resetStatements(ctx.server)
    const batchJobsPerSec = r.batchJobs / ((await producer.timeBatches(r.batchJobs, r.batchSize)) / 1000)
    if (counting) r.statementsPerBatch[queue] = (await statementCalls(ctx.server, dbName)) / (r.batchJobs / r.batchSize)
    return { singleJobsPerSec, batchJobsPerSec }
  }
  try {
    return await withInstalled(adapter, url, async (client) => {
      const producer = await client.producer(url)
      try {
        return await measure(producer)
      } finally {
        await producer.close()
      }
    })
  } finally {
    await dropTarget(ctx, adapter, dbName)
  }
}
