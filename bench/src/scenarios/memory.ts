// Scenario 6: peak RSS (the kernel's high-water mark, process.resourceUsage().maxRSS) of one
// worker process per queue draining N jobs alone, next to its RSS when it was ready. All
// workers run under plain node (no tsx): pgq and BullMQ on the bench's node, graphile-worker
// 0.18 and pg-boss 12 on Node 22, which their releases need (the JSON records each runtime).
import { ADAPTERS, prefillWith, type QueueName, withInstalled } from '../adapters.ts'
import type { Ctx } from '../context.ts'
import { guarded } from '../guard.ts'
import { dropTarget, freshTarget, settleTarget } from '../stores.ts'
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
    const m = await guarded(ctx, 6, queue, () => drainAlone(ctx, queue, jobs))
    if (!m) continue
    byQueue[queue] = m
    ctx.log(
      `  memory: one ${queue} worker drained ${jobs} jobs at ${Math.round(m.jobsPerSec)} jobs/s, ` +
        `peak RSS ${m.peakRssMb.toFixed(1)} MB (${m.readyRssMb.toFixed(1)} MB when ready)`,
    )
  }
  return { jobs, byQueue }
}

async function drainAlone(ctx: Ctx, queue: QueueName, jobs: number): Promise<MemoryRun> {
  const adapter = ADAPTERS[queue]
  const dbName = `pgq_bench_memory_${adapter.slug}`
  const url = await freshTarget(ctx, adapter, dbName)
  try {
    const run = await withInstalled(adapter, url, (client) => {
      const prepare = async () => {
        await prefillWith(client, url, jobs)
        await settleTarget(ctx, adapter, url)
      }
      return drainOnce(ctx, queue, url, jobs, 1, { prepare })
    })
    return { peakRssMb: run.peakRssMb[0]!, readyRssMb: run.readyRssMb[0]!, jobsPerSec: run.jobsPerSec }
  } finally {
    await dropTarget(ctx, adapter, dbName)
  }
}
