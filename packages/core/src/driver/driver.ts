import type { SqlConnection } from '../migrations/connection.js'
/**
 * Any Drizzle Postgres database or transaction (node-postgres, neon-serverless, ...): pgq
 * only calls execute(). Structural, so pgq's declarations need none of drizzle-orm's.
 */
export interface DrizzleLike {
  execute(query: never): PromiseLike<unknown>
}

/** One dedicated connection, for migrations and LISTEN; give it back with release(). */
export interface Session extends SqlConnection {
  /** Called for each NOTIFY this session receives (after it LISTENs); returns an unsubscribe. */
  onNotification(listener: (channel: string, payload: string) => void): () => void
  /** Called once if the connection fails or ends; returns an unsubscribe. */
  onClose(listener: (error: Error) => void): () => void
  release(): Promise<void>
}

/**
 * What pgq needs from a Postgres driver: Drizzle over a pool for statements, and a
 * dedicated session now and then. Each folder under driver/ provides one.
 */
export interface PgqDriver {
  readonly name: string
  readonly db: DrizzleLike
  /**
   * Hot-path statements are prepared once per connection and their plans cached. Turn off
   * behind a pooler that cannot keep them (PgBouncer before 1.21 in transaction mode).
   */
  readonly preparedStatements: boolean
  /** A connection checked out of the pool. */
  session(): Promise<Session>
  /** A new connection outside the pool, in autocommit: for LISTEN. */
  connect(): Promise<Session>
  end(): Promise<void>
}
