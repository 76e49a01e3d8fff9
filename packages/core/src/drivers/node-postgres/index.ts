import { drizzle } from 'drizzle-orm/node-postgres'
import pg from 'pg'
import type { PgqDriver, Session } from '../../driver/driver.js'
import { poolSession } from '../../driver/pool-session.js'

export type NodePostgresConfig = { connectionString: string; max?: number } | { pool: pg.Pool }

/** pgq over node-postgres, for long-running Node hosts. */
export function nodePostgresDriver(config: NodePostgresConfig): PgqDriver {
  const ownPool = !('pool' in config)
  const pool = 'pool' in config ? config.pool : new pg.Pool({ connectionString: config.connectionString, max: config.max ?? 10 })
  return {
    name: 'node-postgres',
    db: drizzle({ client: pool }),
    async session(): Promise<Session> {
      return poolSession(await pool.connect())
    },
    end: async () => {
      if (ownPool) await pool.end()
    },
  }
}
