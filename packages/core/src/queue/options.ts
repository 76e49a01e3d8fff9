import type { DrizzleLike } from '../driver/driver.js'

export interface QueueConnectionOptions {
  /** A Drizzle Postgres database (node-postgres or neon-serverless). */
  db: DrizzleLike
  /** The Postgres schema pgq was installed in. Default 'pgq'. */
  schema?: string
  /** Check the installed schema version before the first operation. Default true. */
  checkSchema?: boolean
  /** Run hot-path statements as named prepared statements (see PgqDriver). Default false. */
  preparedStatements?: boolean
}



/** Per-call option: run inside the caller's Drizzle transaction. */
export interface InTransaction {
  tx?: DrizzleLike
}
