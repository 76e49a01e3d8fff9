import type { CallerTransaction, DrizzleLike, Queryable, Row } from '../types.js'

export type { CallerTransaction, DrizzleLike, Queryable, Row }

export interface QueryOptions {
  /**
   * Run as a named prepared statement: parsed and planned once per connection. A driver
   * whose `preparedStatements` is off ignores it.
   */
  name?: string | undefined
}

/** Runs statements: the driver's pool, one of its transactions, or the caller's transaction. */
export interface Executor {
  query(text: string, values: unknown[], options?: QueryOptions): Promise<{ rows: Row[] }>
}


/** A dedicated connection in autocommit, outside any pool, for LISTEN. */
export interface ListenerConnection extends Queryable {
  /** Called for each NOTIFY this connection receives (after it LISTENs); returns an unsubscribe. */
  onNotification(listener: (channel: string, payload: string) => void): () => void
  /** Called once if the connection fails or ends; returns an unsubscribe. */
  onClose(listener: (error: Error) => void): () => void
  close(): Promise<void>
}

/**
 * What pgq needs from a Postgres driver, and all it knows of one (River's riverdriver):
 * statements, transactions, a LISTEN connection and an end. Each folder under driver/
 * provides one.
 */
export interface PgqDriver extends Executor {
  readonly name: string
  /**
   * Hot-path statements run as named prepared statements, their plans cached per
   * connection. Off behind a pooler that cannot keep them (PgBouncer before 1.21 in
   * transaction mode).
   */
  readonly preparedStatements: boolean
  /** Runs `work` in one transaction on one connection: committed if it resolves, else rolled back. */
  transaction<T>(work: (tx: Executor) => Promise<T>): Promise<T>
  /** A new connection for LISTEN; throws ListenerUnavailableError where the platform has none. */
  listener(): Promise<ListenerConnection>
  /** Closes the pool (once); a pool the user gave stays theirs. */
  end(): Promise<void>
}
