// Scenario 2: enqueue throughput on one connection: single enqueues awaited one after
// another, and batches of 1,000. Statements per call from pg_stat_statements.
import { ADAPTERS } from '../adapters.ts'
import type { Ctx } from '../context.ts'
import { resetStatements, statementCalls } from '../server.ts'

export interface EnqueueResult {
  singles: number
  batchJobs: number
  batchSize: number
  singleJobsPerSec: Record<string, number>
  batchJobsPerSec: Record<string, number>
  /** Top-level statements the server ran per single enqueue (NaN without pg_stat_statements). */
  statementsPerSingle: Record<string, number>
  statementsPerBatch: Record<string, number>
}

export async function enqueueScenario(ctx: Ctx): Promise<EnqueueResult> {
  const singles = ctx.opts.singleEnqueues
  const batchSize = 1000
  const batchJobs = Math.max(batchSize, Math.round(ctx.opts.jobs / batchSize) * batchSize)
  const r: EnqueueResult = {
    singles,
    batchJobs,
    batchSize,
    singleJobsPerSec: {},
    batchJobsPerSec: {},
    statementsPerSingle: {},
    statementsPerBatch: {},
  }
  for (const queue of ctx.opts.queues) {
    const adapter = ADAPTERS[queue]
    const dbName = `pgq_bench_${adapter.slug}`
    const url = await ctx.server.freshDatabase(dbName)
    await adapter.install(url)
    const producer = await adapter.producer(url)
    try {
      for (let i = 0; i < 50; i++) await producer.enqueueOne({}) // warm-up: connection, prepared plans
      await resetStatements(ctx.server)
      let t0 = performance.now()
      for (let i = 0; i < singles; i++) await producer.enqueueOne({})
      r.singleJobsPerSec[queue] = singles / ((performance.now() - t0) / 1000)
      r.statementsPerSingle[queue] = (await statementCalls(ctx.server, dbName)) / singles
      const payloads = Array.from({ length: batchSize }, () => ({}))
      await producer.enqueueBatch(payloads) // warm-up
      await resetStatements(ctx.server)
      t0 = performance.now()
      for (let done = 0; done < batchJobs; done += batchSize) await producer.enqueueBatch(payloads)
      r.batchJobsPerSec[queue] = batchJobs / ((performance.now() - t0) / 1000)
      r.statementsPerBatch[queue] = (await statementCalls(ctx.server, dbName)) / (batchJobs / batchSize)
    } finally {
      await producer.close()
    }
    ctx.log(
      `  enqueue ${queue.padEnd(15)} single ${Math.round(r.singleJobsPerSec[queue]!)} jobs/s ` +
        `(${r.statementsPerSingle[queue]!.toFixed(2)} statements each), batch ${Math.round(r.batchJobsPerSec[queue]!)} jobs/s`,
    )
    await ctx.server.dropDatabase(dbName)
  }
  return r
}
