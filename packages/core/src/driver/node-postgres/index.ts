import type { Logger } from 'drizzle-orm/logger'
import type { PgqDriver } from '../driver.js'
import { type PoolParts, poolDriver } from '../pool-driver.js'
import { loadNodePostgres } from './load.js'

/** The parts of a node-postgres `pg.Pool` pgq uses; any `pg.Pool` fits. */
export interface NodePostgresPool {
  readonly options: object
  connect(): Promise<unknown>
  end(): Promise<void>
  on(event: 'error', listener: (error: Error) => void): unknown
}

export type NodePostgresConfig = ({ connectionString: string; max?: number } | { pool: NodePostgresPool }) & {
  /** Drizzle's logger: sees every statement pgq sends. */
  logger?: Logger | undefined
  /** Prepare hot-path statements (default true); false behind PgBouncer < 1.21 in transaction mode. */
  preparedStatements?: boolean | undefined
}

/** pgq over node-postgres, for long-running hosts (Node, Bun, Deno). */
export function nodePostgresDriver(config: NodePostgresConfig): PgqDriver {
  const given = 'pool' in config ? config.pool : undefined
  const settings = 'pool' in config ? undefined : { connectionString: config.connectionString, max: config.max ?? 10 }
  return poolDriver({
    name: 'node-postgres',
    async load(): Promise<PoolParts> {
      const { pg, drizzle } = await loadNodePostgres()
      const pool = (given ?? new pg.Pool(settings)) as import('pg').Pool
      return {
        db: drizzle({ client: pool, logger: config.logger ?? false }) as unknown as PoolParts['db'],
        pool,
        newClient: () => new pg.Client(pool.options),
      }
    },
    ownsPool: given === undefined,
    preparedStatements: config.preparedStatements ?? true,
  })
}
