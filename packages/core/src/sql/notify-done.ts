import { type SQL, sql } from 'drizzle-orm'
import type { Tables } from './tables.js'

/**
 * A CTE body that NOTIFYs `{type, ids}` for the ids of `source` (a CTE with an `id`
 * column), in chunks that stay under NOTIFY's 8000-byte payload limit. With `status`, the
 * event says how they all ended (`{type, ids, status}`), for waiters of jobs not logged.
 */
export function notifyIds(t: Tables, type: 'done' | 'cancel', source: SQL, where: SQL = sql`true`, status?: 'successful'): SQL {
  const ended = status ? sql`, 'status', ${status}::text` : sql``
  return sql`
    select pg_notify(${t.channel}, json_build_object('type', ${type}::text, 'ids', array_agg(id)${ended})::text)
    from (select id, (row_number() over ()) / 400 as chunk from ${source} where ${where}) c
    group by chunk`
}
