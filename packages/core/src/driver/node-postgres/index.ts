import type { PgqDriver } from '../driver.js'
import type { PoolConfig, PoolLike } from '../pool-config.js'
import { poolDriver } from '../pool-driver.js'
import { loadNodePostgres } from './load.js'

/** The parts of a node-postgres `pg.Pool` pgq uses; any `pg.Pool` fits. */
export type NodePostgresPool = PoolLike

/** `preparedStatements` defaults to true; false behind PgBouncer < 1.21 in transaction mode. */
export type NodePostgresConfig = PoolConfig<NodePostgresPool>

/** pgq over node-postgres, for long-running hosts (Node, Bun, Deno). */
export function nodePostgresDriver(config: NodePostgresConfig): PgqDriver {
  return poolDriver({ name: 'node-postgres', config, preparedByDefault: true, load: async () => (await loadNodePostgres()).driver })
}
