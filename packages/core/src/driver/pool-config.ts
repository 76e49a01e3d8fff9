import type { Duration } from '../validation/duration.js'
import type { Row } from './driver.js'

/** Sees every statement pgq sends; Drizzle's loggers (DefaultLogger) fit. */
export interface QueryLogger {
  logQuery(query: string, params: unknown[]): void
}

/** A pg-style client: node-postgres's and Neon's. */
export interface ClientLike {
  query(config: { text: string; values?: unknown[]; name?: string; types?: object }): Promise<{ rows: Row[] }>
}

/** The parts of a pg-style pool pgq uses: node-postgres's `pg.Pool` and Neon's `Pool` fit. */
export interface PoolLike extends ClientLike {
  readonly options: object
  connect(): Promise<ClientLike & { release(destroy?: boolean | Error): void }>
  end(): Promise<void>
  on(event: 'error', listener: (e: Error) => void): unknown
}

/** The settings every pool driver takes: a pool of yours, or a URL to make one from. */
export type PoolConfig<P> = (
  | {
      connectionString: string
      /** Most connections in the pool pgq makes. Default 10. */
      max?: number
      /** How long making a connection may take (then DatabaseUnavailableError). Default '10s'. */
      connectTimeout?: Duration
    }
  | { pool: P }
) & {
  logger?: QueryLogger | undefined
  /** Prepare hot-path statements (see PgqDriver.preparedStatements). */
  preparedStatements?: boolean | undefined
}
