import type { SQL } from 'drizzle-orm/sql'
import type { Logger } from 'drizzle-orm/logger'
import type { PoolConfig, PoolLike } from './pool-config.js'
import type { PgqDriver, Session } from './driver.js'
import { executePrepared, type PreparingDb, type PreparingDrizzle } from './executor.js'
import { pooledSession, standaloneSession } from './session.js'

type PooledClient = Parameters<typeof pooledSession>[0]
type StandaloneClient = Parameters<typeof standaloneSession>[0] & {
  connect(): Promise<unknown>
  on(event: 'error', listener: (e: Error) => void): unknown
}

/** What a driver folder loads on first use: its package's classes and Drizzle's driver for it. */
export interface DriverModule {
  Pool: new (settings: { connectionString: string; max: number }) => PoolLike
  Client: new (options: object) => StandaloneClient
  drizzle(options: { client: never; logger: Logger | boolean }): unknown
}

/** Drizzle over the pool: what pgq's statements run on. */
type PoolDrizzle = PreparingDrizzle & {
  execute(query: SQL): Promise<unknown>
  transaction<T>(run: (tx: never) => Promise<T>): Promise<T>
}

/** The database a pool driver hands out: each call waits for the driver package to load. */
export type PoolDb = PreparingDb & { transaction<T>(run: (tx: never) => Promise<T>): Promise<T> }

/**
 * The parts both pg-style drivers share. The driver's package is imported on first use
 * (`load`), so a missing one fails with an error naming it, not at import time.
 */
export function poolDriver(options: { name: string; config: PoolConfig<PoolLike>; preparedByDefault: boolean; load: () => Promise<DriverModule> }): PgqDriver {
  const { config } = options
  const given = 'pool' in config ? config.pool : undefined
  const settings = 'pool' in config ? undefined : { connectionString: config.connectionString, max: config.max ?? 10 }
  let loading: Promise<{ db: PoolDrizzle; pool: PoolLike; newClient(): StandaloneClient }> | undefined
  let ended: Promise<void> | undefined
  const parts = () =>
    (loading ??= (ended ? Promise.reject(new Error(`the ${options.name} driver was ended`)) : options.load()).then((m) => {
      const pool = given ?? new m.Pool(settings!)
      // An idle pooled connection that breaks (a database restart, a closed socket) makes the
      // pool emit 'error', which would crash the process unhandled; the next query reconnects.
      if (!given) pool.on('error', () => undefined)
      const db = m.drizzle({ client: pool as never, logger: config.logger ?? false }) as PoolDrizzle
      return { db, pool, newClient: () => new m.Client(pool.options) }
    }))
  const db: PoolDb = {
    execute: async (query) => (await parts()).db.execute(query),
    executePrepared: async (query) => executePrepared((await parts()).db, query),
    transaction: async (run) => (await parts()).db.transaction(run),
  }
  return {
    name: options.name,
    db,
    preparedStatements: config.preparedStatements ?? options.preparedByDefault,
    async session(): Promise<Session> {
      return pooledSession((await (await parts()).pool.connect()) as PooledClient)
    },
    async connect(): Promise<Session> {
      const client = (await parts()).newClient()
      // Before connecting: a server shutting down mid-handshake must not crash the process.
      client.on('error', () => undefined)
      await client.connect()
      return standaloneSession(client)
    },
    end() {
      // Once: a pool never loaded has nothing to close, and none is made afterwards; one the user gave stays theirs.
      ended ??= !given && loading ? loading.then((p) => p.pool.end(), () => undefined) : Promise.resolve()
      return ended
    },
  }
}
