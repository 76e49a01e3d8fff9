// The connection of an operations command: a small pool behind the node-postgres driver and a
// Producer on it, always closed, with failures told in one line and never with the URL.
import type { PgqDriver } from '../driver/driver.js'
import { loadNodePostgres } from '../driver/node-postgres/load.js'
import { nodePostgresDriver } from '../driver/node-postgres/index.js'
import { ConfigurationError, DatabaseAccessError, DatabaseUnavailableError, InvalidJobError, PgqError } from '../errors.js'
import { createProducer, type Producer } from '../runtime/producer.js'
import { type CliIo, type ConnectionFlags, describeError, resolveConnection, UsageError } from './context.js'

export interface Session {
  producer: Producer
  driver: PgqDriver
  schema: string
}

/** Resolves the connection (a UsageError before anything connects), runs `fn`, closes everything. */
export async function withProducer<T>(flags: ConnectionFlags, io: CliIo, fn: (session: Session) => Promise<T>): Promise<T> {
  const { url, schema } = resolveConnection(flags, io)
  const { pg } = await loadNodePostgres()
  const pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 15_000, application_name: 'pgq-cli' })
  pool.on('error', () => undefined) // a connection lost while idle: the next statement says so
  // No prepared statements: a command runs a few of them once, and this way works behind any pooler.
  const driver = nodePostgresDriver({ pool, preparedStatements: false })
  const producer = createProducer({ driver, schema })
  try {
    return await fn({ producer, driver, schema })
  } catch (error) {
    throw explain(error)
  } finally {
    await producer.close().catch(() => undefined)
    await pool.end().catch(() => undefined)
  }
}

/** Settings and input the library refused are the caller's to fix (exit 2); Postgres errors become one plain line. */
export function explain(error: unknown): unknown {
  if (error instanceof UsageError) return error
  if (error instanceof ConfigurationError || error instanceof InvalidJobError) return new UsageError(error.message)
  // The driver's own words (with the host, never the password) say more on a terminal.
  if (error instanceof DatabaseUnavailableError || error instanceof DatabaseAccessError) return new Error(`could not connect to the database: ${describeError(error.cause ?? error)}`)
  if (error instanceof PgqError) return error
  const code = sqlState(error)
  if (isConnectionFailure(error, code)) return new Error(`could not connect to the database: ${describeError(error)}`)
  if (code) return new Error(`the database refused the request: ${describeError(error)} (SQLSTATE ${code})`)
  return error
}

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined
}

/** Refused, unreachable, timed out, wrong password, no such database, shutting down. */
function isConnectionFailure(error: unknown, code: string | undefined): boolean {
  const errno = (error as { code?: unknown } | null)?.code
  if (typeof errno === 'string' && /^E[A-Z_]+$/.test(errno)) return true
  if (code && (/^(08|28)/.test(code) || code === '3D000' || code === '57P03')) return true
  return /timeout exceeded when trying to connect|connection timeout|Connection terminated unexpectedly/i.test(describeError(error))
}
