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

/** A statement's name from its text (two 32-bit FNV-1a hashes): a name never carries two texts. */
function statementName(text: string): string {
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
 * Runs one statement and returns its rows, whatever result shape the Drizzle driver uses.
 * With `prepare`, the statement is prepared once per connection under a name derived from
 * its text, and Postgres caches its plan (hot paths only). Falls back to unprepared if the
 * database object is not a Drizzle pg-core one.
 */
export async function execute(db: DrizzleLike, query: SQL, options: { prepare?: boolean } = {}): Promise<Row[]> {
  try {
    let result: unknown
    if (options.prepare && canPrepare(db)) {
      const built = db.dialect.sqlToQuery(query) as { sql: string }
      result = await db.session.prepareQuery(built, undefined, statementName(built.sql), false).execute()
    } else {
      result = await db.execute(query)
    }
    return Array.isArray(result) ? (result as Row[]) : ((result as { rows: Row[] }).rows ?? [])
  } catch (error) {
    throw translateError(error)
  }
}
