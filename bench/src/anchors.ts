// Which of the requested queues can run here, and what they run on. An anchor that cannot
// (no Node 22, no redis-server, a PostgreSQL too old for BullMQ's backend) is reported with
// the reason in the log, the table and the JSON, never dropped silently.
import { ADAPTERS, type QueueName } from './adapters.ts'
import { type RedisPersistence, type RedisServer, redisServerBinary, startRedisServer } from './redis-server.ts'
import { anchorNode, packageInfo, satisfiesEngine } from './runtime.ts'
import type { BenchServer } from './server.ts'

export interface AnchorSetup {
  /** The requested queues that run. */
  queues: QueueName[]
  /** The requested queues that do not, and why. */
  unavailable: Partial<Record<QueueName, string>>
  /** Node version each running queue's processes use. */
  runtimes: Partial<Record<QueueName, string>>
  redis: Partial<Record<RedisPersistence, RedisServer>>
}

/** BullMQ's PostgreSQL backend refuses servers older than this (its docs: PostgreSQL 13 or newer). */
const BULLMQ_PG_MIN_MAJOR = 13

export async function setUpAnchors(requested: QueueName[], server: BenchServer, log: (m: string) => void): Promise<AnchorSetup> {
  const setup: AnchorSetup = { queues: [], unavailable: {}, runtimes: {}, redis: {} }
  const redisBinary = requested.some((q) => ADAPTERS[q].store === 'redis') ? redisServerBinary() : undefined
  for (const queue of requested) {
    const adapter = ADAPTERS[queue]
    const why = reasonNotToRun(queue, server)
    if (why) {
      setup.unavailable[queue] = why
      continue
    }
    if (adapter.redis && !setup.redis[adapter.redis]) {
      if (typeof redisBinary !== 'string') {
        setup.unavailable[queue] = redisBinary?.reason ?? 'no redis-server'
        continue
      }
      try {
        const redis = await startRedisServer(redisBinary, adapter.redis)
        setup.redis[adapter.redis] = redis
        log(`started redis-server ${redis.version} (${adapter.redis === 'aof' ? 'AOF' : 'no persistence'}: ${redis.args.map((a) => a || "''").join(' ')}) on port ${redis.port}`)
      } catch (error) {
        setup.unavailable[queue] = `redis-server did not start: ${String(error).split('\n')[0]}`
        continue
      }
    }
    setup.queues.push(queue)
    const node = adapter.runtime === 'anchor' ? anchorNode() : undefined
    setup.runtimes[queue] = node && 'version' in node ? node.version : process.version
  }
  for (const [queue, why] of Object.entries(setup.unavailable)) log(`NOT RUN: ${ADAPTERS[queue as QueueName].label}: ${why}`)
  return setup
}

function reasonNotToRun(queue: QueueName, server: BenchServer): string | undefined {
  const adapter = ADAPTERS[queue]
  if (adapter.runtime === 'anchor') {
    const node = anchorNode()
    if ('reason' in node) return node.reason
    const engines = packageInfo(adapter.packageName).engines?.node
    if (!satisfiesEngine(node.version, engines)) return `${adapter.label} needs node ${engines}; ${node.path} is ${node.version}`
  }
  if (queue === 'bullmq-pg') {
    const major = Number.parseInt(server.settings.server_version ?? '', 10)
    if (!(major >= BULLMQ_PG_MIN_MAJOR)) return `BullMQ's PostgreSQL backend needs PostgreSQL ${BULLMQ_PG_MIN_MAJOR}+, the server is ${server.settings.server_version}`
  }
  return undefined
}

export async function stopRedisServers(setup: AnchorSetup): Promise<void> {
  await Promise.all(Object.values(setup.redis).map((r) => r.stop().catch(() => undefined)))
}
