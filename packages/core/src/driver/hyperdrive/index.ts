import { ConfigurationError } from '../../errors.js'
import type { PgqDriver } from '../driver.js'
import { loadNodePostgres } from '../node-postgres/load.js'
import type { PoolConfig, PoolLike } from '../pool-config.js'
import { poolDriver } from '../pool-driver.js'

/** A Hyperdrive binding (`env.HYPERDRIVE`): only its connection string is read. */
export interface HyperdriveBinding {
  readonly connectionString: string
}

/**
 * `hyperdrive`: the binding, or `connectionString`/`pool` as for node-postgres. `max`
 * defaults to 5, the most Cloudflare advises per Worker invocation; `preparedStatements`
 * to true (Hyperdrive keeps named prepared statements).
 */
export type HyperdriveConfig = PoolConfig<PoolLike> | ({ hyperdrive: HyperdriveBinding; max?: number } & Omit<PoolConfig<PoolLike>, 'pool' | 'connectionString'>)

/**
 * pgq over node-postgres through Cloudflare Hyperdrive, in a Worker with the
 * `nodejs_compat` flag. Hyperdrive pools and reuses the database connections across
 * invocations; make one driver per invocation and end it in ctx.waitUntil(driver.end()).
 * There is no LISTEN through Hyperdrive: drain per invocation.
 */
export function hyperdriveDriver(config: HyperdriveConfig): PgqDriver {
  if (typeof config !== 'object' || config === null) throw new ConfigurationError('hyperdriveDriver needs { hyperdrive: env.HYPERDRIVE } (a Hyperdrive binding) or { connectionString }')
  if ('hyperdrive' in config && ('connectionString' in config || 'pool' in config)) {
    throw new ConfigurationError('hyperdriveDriver takes { hyperdrive } or { connectionString } or { pool }, one of them', { field: 'hyperdrive' })
  }
  const resolved: PoolConfig<PoolLike> =
    typeof config === 'object' && config !== null && 'hyperdrive' in config
      ? (({ hyperdrive, ...rest }) => ({ ...rest, connectionString: hyperdrive?.connectionString, max: rest.max ?? 5 }))(config)
      : config
  if ('connectionString' in resolved && typeof resolved.connectionString !== 'string') {
    throw new ConfigurationError('hyperdriveDriver needs { hyperdrive: env.HYPERDRIVE } (a Hyperdrive binding) or { connectionString }')
  }
  return poolDriver({
    name: 'hyperdrive',
    config: 'connectionString' in resolved ? { ...resolved, max: resolved.max ?? 5 } : resolved,
    preparedByDefault: true,
    load: async () => (await loadNodePostgres()).driver,
    noListener: () =>
      new ConfigurationError(
        'the hyperdrive driver has no LISTEN connection (Hyperdrive does not pass LISTEN/NOTIFY): drain per invocation with drain(), or run continuous workers with nodePostgresDriver on a direct connection string',
      ),
  })
}
