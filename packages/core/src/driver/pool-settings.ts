import { ConfigurationError } from '../errors.js'
import { timerMs } from '../validation/duration.js'
import { shown } from '../validation/shown.js'
import type { PoolConfig, PoolLike, QueryLogger } from './pool-config.js'

/** How long making a connection may take before it fails as unavailable, when pgq makes the pool. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000

/** What pgq passes to the driver package's Pool when it makes one. */
export interface NewPoolSettings {
  connectionString: string
  max: number
  connectionTimeoutMillis: number
}

export interface CheckedPoolConfig {
  /** The caller's pool (theirs to end), or the settings of the one pgq makes. */
  given: PoolLike | undefined
  settings: NewPoolSettings | undefined
  prepared: boolean | undefined
  logger: QueryLogger | undefined
}

const FIELDS = ['connectionString', 'max', 'connectTimeout', 'pool', 'logger', 'preparedStatements']

/**
 * A driver's config checked when the driver is made, not at its first query: a missing
 * DATABASE_URL would otherwise surface as a login refused for no user.
 */
export function checkPoolConfig(name: string, config: PoolConfig<PoolLike>): CheckedPoolConfig {
  const needs = `the ${name} driver needs { connectionString } (a postgres:// URL) or { pool }`
  if (typeof config !== 'object' || config === null) throw new ConfigurationError(needs)
  const c = config as Record<string, unknown>
  for (const key of Object.keys(c)) {
    if (!FIELDS.includes(key)) throw new ConfigurationError(`unknown ${name} driver option ${JSON.stringify(key.slice(0, 64))}; known: ${FIELDS.join(', ')}`, { field: key.slice(0, 64) })
  }
  if (c.logger !== undefined && typeof (c.logger as QueryLogger | null)?.logQuery !== 'function') {
    throw new ConfigurationError('logger must be an object with a logQuery(query, params) method', { field: 'logger' })
  }
  if (c.preparedStatements !== undefined && typeof c.preparedStatements !== 'boolean') {
    throw new ConfigurationError(`preparedStatements must be true or false, got ${shown(c.preparedStatements)}`, { field: 'preparedStatements' })
  }
  const common = { prepared: c.preparedStatements as boolean | undefined, logger: c.logger as QueryLogger | undefined }
  if (c.pool !== undefined) {
    const extra = ['connectionString', 'max', 'connectTimeout'].filter((k) => c[k] !== undefined)
    if (extra.length > 0) throw new ConfigurationError(`give the ${name} driver { pool } or { connectionString }, not both: ${extra.join(', ')} are the pool's own settings`, { field: extra[0] })
    const pool = c.pool as Partial<PoolLike> | null
    if (typeof pool?.connect !== 'function' || typeof pool.query !== 'function') throw new ConfigurationError('pool must be a pg-style Pool (with connect() and query())', { field: 'pool' })
    return { given: pool as PoolLike, settings: undefined, ...common }
  }
  if (!('connectionString' in c)) throw new ConfigurationError(needs)
  // Never the value itself: a connection string carries a password.
  if (typeof c.connectionString !== 'string' || c.connectionString.trim() === '') {
    throw new ConfigurationError(`connectionString must be a postgres:// URL, got ${c.connectionString === undefined ? 'undefined (is DATABASE_URL set?)' : `an empty or non-string value (${typeof c.connectionString})`}`, { field: 'connectionString' })
  }
  const max = c.max ?? 10
  if (!Number.isInteger(max) || (max as number) < 1 || (max as number) > 10_000) throw new ConfigurationError(`max must be an integer from 1 to 10000, got ${shown(max)}`, { field: 'max' })
  const connectTimeout = c.connectTimeout === undefined ? DEFAULT_CONNECT_TIMEOUT_MS : timerMs(c.connectTimeout as number | string, 'connectTimeout')
  if (connectTimeout <= 0) throw new ConfigurationError('connectTimeout must be more than 0', { field: 'connectTimeout' })
  return { given: undefined, settings: { connectionString: c.connectionString, max: max as number, connectionTimeoutMillis: connectTimeout }, ...common }
}
