import { Client, Pool } from '@neondatabase/serverless'
import { drizzle } from 'drizzle-orm/neon-serverless'
import type { Logger } from 'drizzle-orm/logger'
import type { PgqDriver, Session } from '../../driver/driver.js'
import { pooledSession, standaloneSession } from '../../driver/session.js'

export type NeonServerlessConfig = ({ connectionString: string; max?: number } | { pool: Pool }) & {
  /** Drizzle's logger: sees every statement pgq sends. */
  logger?: Logger
}

/**
 * pgq over Neon's WebSocket driver, for edge runtimes. In a Worker, make one per request
 * and end it in ctx.waitUntil(driver.end()).
 */
export function neonServerlessDriver(config: NeonServerlessConfig): PgqDriver {
  const ownPool = !('pool' in config)
  const pool = 'pool' in config ? config.pool : new Pool({ connectionString: config.connectionString, max: config.max ?? 10 })
  return {
    name: 'neon-serverless',
    db: drizzle({ client: pool, logger: config.logger }),
    async session(): Promise<Session> {
      return pooledSession(await pool.connect())
    },
    async connect(): Promise<Session> {
      const client = new Client(pool.options)
      await client.connect()
      return standaloneSession(client)
    },
    end: async () => {
      if (ownPool) await pool.end()
    },
  }
}
