// Scenario 6: peak RSS of one pgq worker process draining N jobs (the kernel's high-water
// mark, process.resourceUsage().maxRSS), next to its RSS when it was ready.
import { ADAPTERS, prefill } from '../adapters.ts'
import type { Ctx } from '../context.ts'
import { settle } from '../server.ts'
import { drainOnce } from './drain.ts'

export interface MemoryResult {
  jobs: number
  peakRssMb: number
  readyRssMb: number
  jobsPerSec: number
}

export async function memoryScenario(ctx: Ctx): Promise<MemoryResult> {
  const dbName = 'pgq_bench_memory'
  const url = await ctx.server.freshDatabase(dbName)
  try {
    await ADAPTERS.pgq.install(url)
    const jobs = ctx.opts.jobs
    const prepare = async () => {
      await prefill(ADAPTERS.pgq, url, jobs)
      await settle(url)
    }
    const run = await drainOnce(ctx, 'pgq', url, jobs, 1, { prepare })
    const result = { jobs, peakRssMb: run.peakRssMb[0]!, readyRssMb: run.readyRssMb[0]!, jobsPerSec: run.jobsPerSec }
    ctx.log(`  memory: one pgq worker drained ${jobs} jobs at ${Math.round(run.jobsPerSec)} jobs/s, peak RSS ${result.peakRssMb.toFixed(1)} MB (${result.readyRssMb.toFixed(1)} MB when ready)`)
    return result
  } finally {
    await ctx.server.dropDatabase(dbName)
  }
}
