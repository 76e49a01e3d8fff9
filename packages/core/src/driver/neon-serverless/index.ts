import type { Pool } from '@neondatabase/serverless'
import type { PgqDriver } from '../driver.js'
import type { PoolConfig, PoolLike } from '../pool-config.js'
import { poolDriver } from '../pool-driver.js'
import { loadNeon } from './load.js'

export { type WsProxySettings, wsProxySettings } from './ws-proxy.js'

/**
 * `preparedStatements` defaults to false: an edge invocation's connection runs each
 * statement once, and Neon's pooled endpoints need PgBouncer's prepared-statement support.
 */
export type NeonServerlessConfig = PoolConfig<Pool>

/**
 * pgq over Neon's WebSocket driver, for edge runtimes. In a Worker, make one per request
 * and end it in ctx.waitUntil(driver.end()).
 */
export function neonServerlessDriver(config: NeonServerlessConfig): PgqDriver {
  return poolDriver({ name: 'neon-serverless', config: config as PoolConfig<PoolLike>, preparedByDefault: false, load: loadNeon })
}
