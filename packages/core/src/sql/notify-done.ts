import { type SQL, sql } from 'drizzle-orm'
import type { Tables } from './tables.js'

/**
 * A CTE body that NOTIFYs `{type, ids}` for the ids of `source` (a CTE with an `id`
 * column), in chunks that stay under NOTIFY's 8000-byte payload limit.
 */
export function notifyIds(t: Tables, type: 'done' | 'cancel', source: SQL, where: SQL = sql`true`): SQL {
  return sql`
    select pg_notify(${t.channel}, json_build_object('type', ${type}::text, 'ids', array_agg(id))::text)
    from (select id, (row_number() over ()) / 400 as chunk from ${source} where ${where}) c
    group by chunk`
}
