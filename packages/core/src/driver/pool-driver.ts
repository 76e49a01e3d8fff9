import type { PgqDriver, Session } from './driver.js'
import { pooledSession, standaloneSession } from './session.js'

type PooledClient = Parameters<typeof pooledSession>[0]
type StandaloneClient = Parameters<typeof standaloneSession>[0] & {
  connect(): Promise<unknown>
  on(event: 'error', listener: (e: Error) => void): unknown
}

/** The parts both pg-style drivers share; each driver folder supplies its pool and client class. */
export function poolDriver(parts: {
  name: string
  db: PgqDriver['db']
  pool: { connect(): Promise<unknown>; end(): Promise<void>; on(event: 'error', listener: (e: Error) => void): unknown }
  newClient(): StandaloneClient
  ownsPool: boolean
  preparedStatements: boolean
}): PgqDriver {
  const { pool } = parts
  // An idle pooled connection that breaks (a database restart, a closed socket) makes the
  // pool emit 'error', which would crash the process unhandled; the next query reconnects.
  if (parts.ownsPool) pool.on('error', () => undefined)
  return {
    name: parts.name,
    db: parts.db,
    preparedStatements: parts.preparedStatements,
    async session(): Promise<Session> {
      return pooledSession((await pool.connect()) as PooledClient)
    },
    async connect(): Promise<Session> {
      const client = parts.newClient()
      // Before connecting: a server shutting down mid-handshake must not crash the process.
      client.on('error', () => undefined)
      await client.connect()
      return standaloneSession(client)
    },
    end: async () => {
      if (parts.ownsPool) await pool.end()
    },
  }
}
