import type { Logger } from 'drizzle-orm/logger'

/** A pool of either pg-style driver, given by the user or made from settings. */
export interface PoolLike {
  readonly options: object
  connect(): Promise<unknown>
  end(): Promise<void>
  on(event: 'error', listener: (e: Error) => void): unknown
}

/** The settings every pool driver takes: a pool of yours, or a URL to make one from. */
export type PoolConfig<P> = ({ connectionString: string; max?: number } | { pool: P }) & {
  /** Drizzle's logger: sees every statement pgq sends. */
  logger?: Logger | undefined
  /** Prepare hot-path statements (see PgqDriver.preparedStatements). */
  preparedStatements?: boolean | undefined
}
