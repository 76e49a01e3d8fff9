import type { SQL } from 'drizzle-orm'
import type { PgqDriver, Session } from './driver.js'
import { executePrepared, type PreparingDb, type PreparingDrizzle } from './executor.js'
import { pooledSession, standaloneSession } from './session.js'

type PooledClient = Parameters<typeof pooledSession>[0]
type StandaloneClient = Parameters<typeof standaloneSession>[0] & {
  connect(): Promise<unknown>
  on(event: 'error', listener: (e: Error) => void): unknown
}

/** What a driver folder builds once its package has loaded. */
export interface PoolParts {
  /** Drizzle over the pool. */
  db: PreparingDrizzle & {
    execute(query: SQL): Promise<unknown>
    transaction<T>(run: (tx: never) => Promise<T>): Promise<T>
  }
  pool: { connect(): Promise<unknown>; end(): Promise<void>; on(event: 'error', listener: (e: Error) => void): unknown }
  newClient(): StandaloneClient
}

/** The database a pool driver hands out: each call waits for the driver package to load. */
export type PoolDb = PreparingDb & { transaction<T>(run: (tx: never) => Promise<T>): Promise<T> }

/**
 * The parts both pg-style drivers share. The driver's package is imported on first use
 * (`load`), so a missing one fails with an error naming it, not at import time.
 */
export function poolDriver(options: {
  name: string
  load: () => Promise<PoolParts>
  ownsPool: boolean
  preparedStatements: boolean
}): PgqDriver {
  let loading: Promise<PoolParts> | undefined
  const parts = () =>
    (loading ??= options.load().then((p) => {
      // An idle pooled connection that breaks (a database restart, a closed socket) makes the
      // pool emit 'error', which would crash the process unhandled; the next query reconnects.
      if (options.ownsPool) p.pool.on('error', () => undefined)
      return p
    }))
  const db: PoolDb = {
    execute: async (query) => (await parts()).db.execute(query),
    executePrepared: async (query) => executePrepared((await parts()).db, query),
    transaction: async (run) => (await parts()).db.transaction(run),
  }
  return {
    name: options.name,
    db,
    preparedStatements: options.preparedStatements,
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
    async end() {
      // A pool never loaded has nothing to close.
      if (options.ownsPool && loading) await loading.then((p) => p.pool.end(), () => undefined)
    },
  }
}
