// Scenario 6: peak RSS (the kernel's high-water mark, process.resourceUsage().maxRSS) of one
// worker process per queue draining N jobs alone, next to its RSS when it was ready. All
// workers run under plain node, so the figures compare the queues, not their runtimes.
import { ADAPTERS, prefill } from '../adapters.ts'
import type { Ctx } from '../context.ts'
import { settle } from '../server.ts'
import { drainOnce } from './drain.ts'

export interface MemoryRun {
  peakRssMb: number
  readyRssMb: number
  jobsPerSec: number
}

export interface MemoryResult {
  jobs: number
  byQueue: Record<string, MemoryRun>
}

export async function memoryScenario(ctx: Ctx): Promise<MemoryResult> {
  const jobs = ctx.opts.jobs
  const byQueue: Record<string, MemoryRun> = {}
  for (const queue of ctx.opts.queues) {
    const adapter = ADAPTERS[queue]
    const dbName = `pgq_bench_memory_${adapter.slug}`
    const url = await ctx.server.freshDatabase(dbName)
    try {
      await adapter.install(url)
      const prepare = async () => {
        await prefill(adapter, url, jobs)
        await settle(url)
      }
      const run = await drainOnce(ctx, queue, url, jobs, 1, { prepare })
      const m = { peakRssMb: run.peakRssMb[0]!, readyRssMb: run.readyRssMb[0]!, jobsPerSec: run.jobsPerSec }
      byQueue[queue] = m
      ctx.log(
        `  memory: one ${queue} worker drained ${jobs} jobs at ${Math.round(m.jobsPerSec)} jobs/s, ` +
          `peak RSS ${m.peakRssMb.toFixed(1)} MB (${m.readyRssMb.toFixed(1)} MB when ready)`,
      )
    } finally {
      await ctx.server.dropDatabase(dbName)
    }
  }
  return { jobs, byQueue }
}
