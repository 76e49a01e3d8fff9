import { drizzle } from 'drizzle-orm/node-postgres'
import pg from 'pg'
import type { Logger } from 'drizzle-orm/logger'
import type { PgqDriver, Session } from '../../driver/driver.js'
import { pooledSession, standaloneSession } from '../../driver/session.js'

export type NodePostgresConfig = ({ connectionString: string; max?: number } | { pool: pg.Pool }) & {
  /** Drizzle's logger: sees every statement pgq sends. */
  logger?: Logger
}

/** pgq over node-postgres, for long-running Node hosts. */
export function nodePostgresDriver(config: NodePostgresConfig): PgqDriver {
  const ownPool = !('pool' in config)
  const pool = 'pool' in config ? config.pool : new pg.Pool({ connectionString: config.connectionString, max: config.max ?? 10 })
  return {
    name: 'node-postgres',
    db: drizzle({ client: pool, logger: config.logger }),
    async session(): Promise<Session> {
      return pooledSession(await pool.connect())
    },
    async connect(): Promise<Session> {
      const client = new pg.Client(pool.options)
      await client.connect()
      return standaloneSession(client)
    },
    end: async () => {
      if (ownPool) await pool.end()
    },
  }
}
