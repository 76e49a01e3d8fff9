import type { DrizzleLike, Executor, Row } from './driver.js'

const PLACEHOLDER = /\$(\d+)/g

/**
 * A Drizzle database or transaction as an executor, through its public execute() and
 * sql.raw/sql.param: pgq's text is split at its $n placeholders (pgq's statements have no
 * other `$<digit>`). drizzle-orm is loaded only when a Drizzle transaction is passed.
 */
export function drizzleExecutor(db: DrizzleLike): Executor {
  return {
    async query(text, values) {
      const { sql } = await import('drizzle-orm/sql')
      const chunks = []
      let last = 0
      for (const match of text.matchAll(PLACEHOLDER)) {
        chunks.push(sql.raw(text.slice(last, match.index)), sql.param(values[Number(match[1]) - 1]))
        last = match.index + match[0].length
      }
      chunks.push(sql.raw(text.slice(last)))
      const result = (await db.execute(sql.join(chunks) as never)) as Row[] | { rows?: Row[] }
      return { rows: Array.isArray(result) ? result : (result.rows ?? []) }
    },
  }
}
