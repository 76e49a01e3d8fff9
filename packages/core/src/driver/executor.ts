import type { SQL } from '../sql/template.js'
import type { CallerTransaction, Executor, Row } from './driver.js'
import { drizzleExecutor } from './drizzle-transaction.js'
import { translateError } from './translate-error.js'

/** A statement's name from its text (two 32-bit FNV-1a hashes): a name never carries two texts. */
export function statementName(text: string): string {
  let a = 0x811c9dc5
  let b = 0x01000193
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193)
    b = Math.imul(b ^ c, 0x811c9dc5)
  }
  return `pgq_${(a >>> 0).toString(36)}${(b >>> 0).toString(36)}`
}

/**
 * Runs one statement and returns its rows, with Postgres errors that mean something to
 * users as typed errors. `prepare` (hot paths only) names the statement after its text, so
 * a driver with prepared statements on plans it once per connection.
 */
export async function execute(on: Executor, statement: SQL, options: { prepare?: boolean } = {}): Promise<Row[]> {
  const { text, values } = statement.render()
  try {
    const result = await on.query(text, values, options.prepare ? { name: statementName(text) } : undefined)
    return result.rows
  } catch (error) {
    throw translateError(error)
  }
}

/** The caller's transaction as an executor: a pg/Neon client as is, a Drizzle one through its execute(). */
export function transactionExecutor(tx: CallerTransaction): Executor {
  if (typeof (tx as { query?: unknown }).query === 'function') {
    const client = tx as { query(text: string, values: unknown[]): Promise<{ rows: Row[] }> }
    // Never named: the caller's connection is not ours to leave prepared statements on.
    return { query: (text, values) => client.query(text, values) }
  }
  return drizzleExecutor(tx as { execute(query: never): PromiseLike<unknown> })
}
