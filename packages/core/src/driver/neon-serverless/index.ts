import type { Pool } from '@neondatabase/serverless'
import type { Logger } from 'drizzle-orm/logger'
import type { PgqDriver } from '../driver.js'
import { lazyPeer } from '../peer.js'
import { type PoolParts, poolDriver } from '../pool-driver.js'

export type NeonServerlessConfig = ({ connectionString: string; max?: number } | { pool: Pool }) & {
  /** Drizzle's logger: sees every statement pgq sends. */
  logger?: Logger | undefined
  /**
   * Prepare hot-path statements (default false: an edge invocation's connection runs each
   * once, and Neon's pooled endpoints need PgBouncer's prepared-statement support).
   */
  preparedStatements?: boolean | undefined
}

const loadNeon = lazyPeer('@neondatabase/serverless', 'pgq\'s neon-serverless driver', async () => {
  const [neon, { drizzle }] = await Promise.all([import('@neondatabase/serverless'), import('drizzle-orm/neon-serverless')])
  return { neon, drizzle }
})

/**
 * pgq over Neon's WebSocket driver, for edge runtimes. In a Worker, make one per request
 * and end it in ctx.waitUntil(driver.end()).
 */
export function neonServerlessDriver(config: NeonServerlessConfig): PgqDriver {
  const given = 'pool' in config ? config.pool : undefined
  const settings = 'pool' in config ? undefined : { connectionString: config.connectionString, max: config.max ?? 10 }
  return poolDriver({
    name: 'neon-serverless',
    async load(): Promise<PoolParts> {
      const { neon, drizzle } = await loadNeon()
      const pool = given ?? new neon.Pool(settings)
      return {
        db: drizzle({ client: pool, logger: config.logger ?? false }) as unknown as PoolParts['db'],
        pool,
        newClient: () => new neon.Client(pool.options),
      }
    },
    ownsPool: given === undefined,
    preparedStatements: config.preparedStatements ?? false,
  })
}
