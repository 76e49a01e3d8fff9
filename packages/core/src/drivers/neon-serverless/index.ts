import { Client, Pool } from '@neondatabase/serverless'
import type { Logger } from 'drizzle-orm/logger'
import { drizzle } from 'drizzle-orm/neon-serverless'
import type { PgqDriver } from '../../driver/driver.js'
import { poolDriver } from '../../driver/pool-driver.js'

export type NeonServerlessConfig = ({ connectionString: string; max?: number } | { pool: Pool }) & {
  /** Drizzle's logger: sees every statement pgq sends. */
  logger?: Logger
  /**
   * Prepare hot-path statements (default false: an edge invocation's connection runs each
   * once, and Neon's pooled endpoints need PgBouncer's prepared-statement support).
   */
  preparedStatements?: boolean
}

/**
 * pgq over Neon's WebSocket driver, for edge runtimes. In a Worker, make one per request
 * and end it in ctx.waitUntil(driver.end()).
 */
export function neonServerlessDriver(config: NeonServerlessConfig): PgqDriver {
  const pool = 'pool' in config ? config.pool : new Pool({ connectionString: config.connectionString, max: config.max ?? 10 })
  return poolDriver({
    name: 'neon-serverless',
    db: drizzle({ client: pool, logger: config.logger }),
    pool,
    newClient: () => new Client(pool.options),
    ownsPool: !('pool' in config),
    preparedStatements: config.preparedStatements ?? false,
  })
}
