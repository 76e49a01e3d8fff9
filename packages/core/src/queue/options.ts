import type { CallerTransaction, PgqDriver } from '../driver/driver.js'

export interface QueueConnectionOptions {
  /** A pgq driver: nodePostgresDriver, neonServerlessDriver or hyperdriveDriver. */
  driver: PgqDriver
  /** The Postgres schema pgq was installed in. Default 'pgq'. */
  schema?: string
  /** Check the installed schema version before the first operation. Default true. */
  checkSchema?: boolean
}

/** Per-call option: run inside the caller's transaction (a Drizzle one, or a pg/Neon client inside BEGIN). */
export interface InTransaction {
  tx?: CallerTransaction
}
