import type { SQL } from 'drizzle-orm/sql'
import type { DrizzleLike } from './driver.js'
import { translateError } from './translate-error.js'

export type { DrizzleLike }

/** A driver's database: also runs a statement prepared once per connection. */
export interface PreparingDb extends DrizzleLike {
  executePrepared(query: SQL): Promise<unknown>
}

export type Row = Record<string, unknown>

/** The parts of a Drizzle pg database that prepare a named statement (pg-core, both drivers). */
export interface PreparingDrizzle {
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

/** Prepares `query` under a name derived from its text, so Postgres caches its plan per connection. */
export function executePrepared(db: PreparingDrizzle, query: SQL): Promise<unknown> {
  const built = db.dialect.sqlToQuery(query) as { sql: string }
  return db.session.prepareQuery(built, undefined, statementName(built.sql), false).execute()
}

/**
 * Runs one statement and returns its rows, whatever result shape the Drizzle driver uses.
 * With `prepare` (hot paths only), the statement is prepared when the database can
 * (a driver's, or a Drizzle pg-core one); otherwise it runs unprepared.
 */
export async function execute(db: DrizzleLike, query: SQL, options: { prepare?: boolean } = {}): Promise<Row[]> {
  try {
    let result: unknown
    if (!options.prepare) result = await db.execute(query as never)
    else if ('executePrepared' in db) result = await (db as PreparingDb).executePrepared(query)
    else result = canPrepare(db) ? await executePrepared(db, query) : await db.execute(query as never)
    return Array.isArray(result) ? (result as Row[]) : ((result as { rows: Row[] }).rows ?? [])
  } catch (error) {
    throw translateError(error)
  }
}
