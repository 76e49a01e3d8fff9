import type { Tables } from './tables.js'
import { type SQL, sql } from './template.js'

// The events themselves are written by SQL functions of drizzle/0004 (notify_ids,
// notify_insert), the one place their format and size bound live; queue/notify-events.ts reads them.

/** A CTE body that sends `{type, ids[, status]}` for the ids of `source` (a CTE with an `id` column). */
export function notifyIds(t: Tables, type: 'done' | 'cancel', source: SQL, where: SQL = sql`true`, status?: 'successful'): SQL {
  return sql`select ${t.notifyIds}(${type}::text, array(select id from ${source} where ${where}), ${status ?? null}::text)`
}

/** A CTE body that sends `{type: 'insert', entrypoints}` for the rows of `source` (with an `entrypoint` column). */
export function notifyInserted(t: Tables, source: SQL): SQL {
  return sql`select ${t.notifyInsert}((select jsonb_object_agg(c.entrypoint, c.n)
    from (select entrypoint, count(*) as n from ${source} group by entrypoint) c))`
}
