import type { SQL } from 'drizzle-orm'
import { translateError } from './translate-error.js'

/** Any Drizzle Postgres database or transaction (node-postgres, neon-serverless, ...). */
export interface DrizzleLike {
  execute(query: SQL): PromiseLike<unknown>
}

export type Row = Record<string, unknown>

/** The parts of a Drizzle pg database that prepare a named statement (pg-core, both drivers). */
interface PreparingDrizzle {
  session: { prepareQuery(query: unknown, fields: undefined, name: string, arrayMode: false): { execute(): Promise<unknown> } }
  dialect: { sqlToQuery(query: SQL): unknown }
}

const canPrepare = (db: unknown): db is PreparingDrizzle =>
  typeof (db as Partial<PreparingDrizzle>).session?.prepareQuery === 'function' &&
  typeof (db as Partial<PreparingDrizzle>).dialect?.sqlToQuery === 'function'

/**
 * Runs one statement and returns its rows, whatever result shape the Drizzle driver uses.
 * With a `name`, the statement is prepared once per connection and its plan cached by
 * Postgres (hot paths only; a name must always carry the same SQL text).
 */
export async function execute(db: DrizzleLike, query: SQL, name?: string): Promise<Row[]> {
  try {
    const result = name && canPrepare(db) ? await db.session.prepareQuery(db.dialect.sqlToQuery(query), undefined, name, false).execute() : await db.execute(query)
    return Array.isArray(result) ? (result as Row[]) : ((result as { rows: Row[] }).rows ?? [])
  } catch (error) {
    throw translateError(error)
  }
}
