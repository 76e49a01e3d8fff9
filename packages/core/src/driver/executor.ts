import type { SQL } from 'drizzle-orm'
import { translateError } from './translate-error.js'

/** Any Drizzle Postgres database or transaction (node-postgres, neon-serverless, ...). */
export interface DrizzleLike {
  execute(query: SQL): PromiseLike<unknown>
}

export type Row = Record<string, unknown>

/** Runs one statement and returns its rows, whatever result shape the Drizzle driver uses. */
export async function execute(db: DrizzleLike, query: SQL): Promise<Row[]> {
  try {
    const result = await db.execute(query)
    return Array.isArray(result) ? (result as Row[]) : ((result as { rows: Row[] }).rows ?? [])
  } catch (error) {
    throw translateError(error)
  }
}
