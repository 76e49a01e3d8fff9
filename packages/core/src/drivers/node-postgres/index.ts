import type { Logger } from 'drizzle-orm/logger'
import { drizzle } from 'drizzle-orm/node-postgres'
import pg from 'pg'
import type { PgqDriver } from '../../driver/driver.js'
import { poolDriver } from '../../driver/pool-driver.js'

export type NodePostgresConfig = ({ connectionString: string; max?: number } | { pool: pg.Pool }) & {
  /** Drizzle's logger: sees every statement pgq sends. */
  logger?: Logger
  /** Prepare hot-path statements (default true); false behind PgBouncer < 1.21 in transaction mode. */
  preparedStatements?: boolean
}

/** pgq over node-postgres, for long-running Node hosts. */
export function nodePostgresDriver(config: NodePostgresConfig): PgqDriver {
  const pool = 'pool' in config ? config.pool : new pg.Pool({ connectionString: config.connectionString, max: config.max ?? 10 })
  return poolDriver({
    name: 'node-postgres',
    db: drizzle({ client: pool, logger: config.logger }),
    pool,
    newClient: () => new pg.Client(pool.options),
    ownsPool: !('pool' in config),
    preparedStatements: config.preparedStatements ?? true,
  })
}
