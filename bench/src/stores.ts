// Where a queue's data lives for one run: a fresh database on the bench's PostgreSQL server,
// or the bench's own redis-server, flushed. Each drain starts from an empty store and a
// settled server (VACUUM + CHECKPOINT; no background save or AOF rewrite running).
import type { Adapter } from './adapters.ts'
import type { Ctx } from './context.ts'
import type { RedisServer } from './redis-server.ts'
import { settle } from './server.ts'

function redisOf(ctx: Ctx, adapter: Adapter): RedisServer {
  const server = adapter.redis && ctx.redis[adapter.redis]
  if (!server) throw new Error(`${adapter.name}: no redis-server (${adapter.redis}) was started`)
  return server
}

/** An empty store for the queue: a fresh database `name`, or the flushed redis-server; its URL. */
export async function freshTarget(ctx: Ctx, adapter: Adapter, name: string): Promise<string> {
  if (adapter.store === 'postgres') return ctx.server.freshDatabase(name)
  const server = redisOf(ctx, adapter)
  await server.flush()
  return server.url
}

export async function dropTarget(ctx: Ctx, adapter: Adapter, name: string): Promise<void> {
  if (adapter.store === 'postgres') await ctx.server.dropDatabase(name)
  else await redisOf(ctx, adapter).flush()
}

export async function settleTarget(ctx: Ctx, adapter: Adapter, target: string): Promise<void> {
  if (adapter.store === 'postgres') await settle(target)
  else await redisOf(ctx, adapter).settle()
}

/** CPU time (µs) of the server the queue runs on: PostgreSQL, or its redis-server. */
export function storeCpuUs(ctx: Ctx, adapter: Adapter): number | undefined {
  return adapter.store === 'postgres' ? ctx.server.cpuUs() : redisOf(ctx, adapter).cpuUs()
}
