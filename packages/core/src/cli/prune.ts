import { nodePostgresDriver } from '../driver/node-postgres/index.js'
import { lease } from '../queue/leases.js'
import { checkRetention, type QueueRetentionPolicy } from '../queue/retention.js'
import { PrunerService } from '../services/pruner.js'
import { asUsage, durationFlag } from './arguments.js'
import { type CliIo, type ConnectionFlags, line, resolveConnection, UsageError } from './context.js'

type PruneFlags = ConnectionFlags & Record<'successful' | 'exception' | 'canceled' | 'failures' | 'heldJobs' | 'statistics' | 'timeBudget' | 'pace', string | undefined>

const RETENTION_FLAGS = { successful: '--successful', exception: '--exception', canceled: '--canceled', failures: '--failures', heldJobs: '--held-jobs', statistics: '--statistics' } as const

/** One retention pass, if no worker holds the pruner's lease; prints what it deleted. */
export async function prune(flags: PruneFlags, io: CliIo): Promise<number> {
  const { url, schema } = resolveConnection(flags, io)
  const policy: QueueRetentionPolicy = {}
  for (const [key, flag] of Object.entries(RETENTION_FLAGS) as [keyof typeof RETENTION_FLAGS, string][]) {
    const value = flags[key]
    if (value !== undefined) policy[key] = value === 'false' ? false : durationFlag(value, flag)
  }
  const retention = await asUsage(() => checkRetention(policy, 'retention'), (m) => m.replace(/^retention\.(\w+)/, (_, key: string) => RETENTION_FLAGS[key as keyof typeof RETENTION_FLAGS] ?? `--${key}`))
  const budgetMs = durationFlag(flags.timeBudget ?? '5m', '--time-budget')
  const pace = flags.pace === undefined ? undefined : Number(flags.pace)
  if (pace !== undefined && !(Number.isFinite(pace) && pace >= 0)) throw new UsageError(`--pace must be a number >= 0, got ${JSON.stringify(flags.pace)}`)
  const driver = nodePostgresDriver({ connectionString: url, max: 1 })
  try {
    const pruner = new PrunerService({
      db: driver,
      schema,
      lease: lease(driver, schema, 'pruner', crypto.randomUUID()),
      retention: { queue: retention, entrypoints: new Map(), ...(pace === undefined ? {} : { pace }) },
      onError: () => undefined,
    })
    const result = await pruner.runOnce(budgetMs)
    await pruner.stop()
    if (!result) {
      line(io.stdout, 'another process holds the pruner lease (a running worker, or a drain or maintain() that pruned within the last minute): nothing done here; run this again in a minute')
      return 0
    }
    line(io.stdout, `deleted ${result.log} log rows, ${result.heldJobs} held jobs, ${result.statistics} statistics buckets${result.more ? ' (more left: run again)' : ''}`)
    return 0
  } finally {
    await driver.end()
  }
}
