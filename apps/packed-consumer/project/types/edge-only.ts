// The runtime-neutral entries type-check without @types/node (tsconfig.edge.json: types []).
import { createQueue, type DrainSummary, type Job, PgqError } from '@pgq/core/edge'
import { neonServerlessDriver } from '@pgq/core/neon-serverless'
import { createQueueApi } from '@pgq/hono'
import { scheduledHandler } from '@pgq/hono/workers'

export async function drainOnce(connectionString: string): Promise<DrainSummary> {
  const driver = neonServerlessDriver({ connectionString })
  const queue = createQueue({ driver }).entrypoint('ping', async (job: Job<{ at: number }>) => {
    job.payload.at.toFixed()
  })
  try {
    await queue.enqueue('ping', { at: Date.now() })
    return await queue.drain({ timeBudget: '1s' })
  } catch (error) {
    if (error instanceof PgqError) throw new Error(error.code)
    throw error
  } finally {
    await driver.end()
  }
}

// The HTTP API and its Workers adapter too: their declarations must not reach the Node entry.
export function workerApp(connectionString: string) {
  const queueFor = () => ({ queue: createQueue({ driver: neonServerlessDriver({ connectionString }) }), end: async () => undefined })
  return { app: createQueueApi({ queueFor, tokenFrom: () => 't' }), scheduled: scheduledHandler({ queueFor }) }
}
