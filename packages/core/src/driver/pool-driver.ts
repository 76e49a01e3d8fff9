import { TransactionConflictError } from '../errors.js'
import type { Executor, ListenerConnection, PgqDriver, QueryOptions } from './driver.js'
import type { ClientLike, PoolConfig, PoolLike } from './pool-config.js'
import { type StandaloneClient, standaloneConnection } from './listener-connection.js'
import { checkPoolConfig, type NewPoolSettings } from './pool-settings.js'
import { translateError } from './translate-error.js'
import { textTimestamps, type TypeParsers } from './type-parsers.js'

/** Runs of one transaction that PostgreSQL rolled back for a conflict, before its error is thrown. */
const TRANSACTION_ATTEMPTS = 3

/** What a driver folder loads on first use: its package's Pool and Client classes and type parsers. */
export interface DriverModule {
  Pool: new (settings: NewPoolSettings) => PoolLike
  Client: new (options: object) => StandaloneClient
  types: TypeParsers
}

export interface PoolDriverOptions {
  name: string
  config: PoolConfig<PoolLike>
  preparedByDefault: boolean
  load: () => Promise<DriverModule>
  /** Where the platform has no LISTEN connection (Hyperdrive): the error listener() throws. */
  noListener?: () => Error
}

/**
 * The driver all three pg-style packages share. The package is imported on first use
 * (`load`), so a missing one fails with an error naming it, not at import time.
 */
export function poolDriver(options: PoolDriverOptions): PgqDriver {
  const checked = checkPoolConfig(options.name, options.config)
  const { given, settings, logger } = checked
  const prepared = checked.prepared ?? options.preparedByDefault
  let loading: Promise<{ pool: PoolLike; newClient(): StandaloneClient; types: TypeParsers }> | undefined
  let ended: Promise<void> | undefined
  const parts = () =>
    (loading ??= (ended ? Promise.reject(new Error(`the ${options.name} driver was ended`)) : options.load()).then((m) => {
      const pool = given ?? new m.Pool(settings!)
      // An idle pooled connection that breaks (a database restart, a closed socket) makes the
      // pool emit 'error', which would crash the process unhandled; the next query reconnects.
      if (!given) pool.on('error', () => undefined)
      return { pool, newClient: () => new m.Client(pool.options), types: textTimestamps(m.types) }
    }))
  const run = (on: ClientLike, types: TypeParsers, text: string, values: unknown[], queryOptions?: QueryOptions) => {
    logger?.logQuery(text, values)
    const name = prepared ? queryOptions?.name : undefined
    return on.query(name ? { name, text, values, types } : { text, values, types })
  }
  return {
    name: options.name,
    preparedStatements: prepared,
    async query(text, values, queryOptions) {
      const { pool, types } = await parts()
      return run(pool, types, text, values, queryOptions)
    },
    async transaction(work) {
      const { pool, types } = await parts()
      // A refused or lost connection, as a statement's (execute) would be: typed.
      const client = await pool.connect().catch((error: unknown) => {
        throw translateError(error)
      })
      const tx: Executor = { query: (text, values, queryOptions) => run(client, types, text, values, queryOptions) }
      let broken: unknown
      try {
        // Rolled back to break a deadlock (or a serialization failure): nothing was kept, so run it again.
        for (let attempt = 1; ; attempt++) {
          try {
            await client.query({ text: 'begin' })
            const result = await work(tx)
            await client.query({ text: 'commit' })
            return result
          } catch (error) {
            await client.query({ text: 'rollback' }).catch((e: unknown) => (broken = e))
            const translated = translateError(error)
            if (broken || !(translated instanceof TransactionConflictError) || attempt >= TRANSACTION_ATTEMPTS) throw translated
          }
        }
      } finally {
        // A connection that cannot even roll back is not given back to the pool.
        client.release(broken instanceof Error ? broken : undefined)
      }
    },
    async listener(): Promise<ListenerConnection> {
      if (options.noListener) throw options.noListener()
      const client = (await parts()).newClient()
      // Before connecting: a server shutting down mid-handshake must not crash the process.
      client.on('error', () => undefined)
      await client.connect()
      return standaloneConnection(client)
    },
    end() {
      // Once: a pool never loaded has nothing to close, and none is made afterwards; one the user gave stays theirs.
      ended ??= !given && loading ? loading.then((p) => p.pool.end(), () => undefined) : Promise.resolve()
      return ended
    },
  }
}
