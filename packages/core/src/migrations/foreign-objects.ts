import type { Queryable as SqlConnection } from '../driver/driver.js'
import { ConfigurationError } from '../errors.js'
import type { MigrationFile } from './files.js'

const CREATE_TABLE = /create\s+(?:unlogged\s+)?table\s+(?:if\s+not\s+exists\s+)?"pgq"\."?([a-z_]+)"?/gi

/** The tables pgq's migrations make (and its migrations table). */
export function pgqTables(files: readonly MigrationFile[]): string[] {
  const names = new Set(['pgq_migrations'])
  for (const file of files) for (const statement of file.statements) for (const m of statement.matchAll(CREATE_TABLE)) names.add(m[1]!)
  return [...names]
}

/**
 * Up to five objects of `schema` that pgq did not make, as "table orders": relations outside
 * `known` (sequences a table owns are its own), and with `everything` functions and types too.
 */
export async function foreignObjects(conn: SqlConnection, schema: string, known: readonly string[], everything: boolean): Promise<string[]> {
  const { rows } = await conn.query(
    `select kind || ' ' || name as object from (
       select case c.relkind when 'v' then 'view' when 'm' then 'materialized view' when 'S' then 'sequence'
                when 'f' then 'foreign table' else 'table' end as kind, c.relname::text as name
       from pg_class c
       where c.relnamespace = to_regnamespace($1) and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
         and not (c.relname = any($2::text[]))
         and not (c.relkind = 'S' and exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype in ('a', 'i')))
       union all
       select 'function', p.proname::text from pg_proc p where $3 and p.pronamespace = to_regnamespace($1)
       union all
       select 'type', t.typname::text from pg_type t where $3 and t.typnamespace = to_regnamespace($1) and t.typtype in ('e', 'd')
     ) o order by 1 limit 5`,
    [schema, known, everything],
  )
  return rows.map((r) => String(r.object))
}

/** A first install goes only into a schema that is new or empty: `pgq uninstall` drops its schema whole. */
export async function checkSchemaIsFree(conn: SqlConnection, schema: string): Promise<void> {
  const found = await foreignObjects(conn, schema, [], true)
  if (found.length > 0) {
    throw new ConfigurationError(
      `schema "${schema}" already holds objects pgq did not make (${found.join(', ')}): install pgq into a schema of its own (the default, pgq, or --schema <new name>); nothing was installed`,
    )
  }
}

/** Uninstall drops the whole schema: not while it holds tables of someone else's. */
export async function checkSchemaHoldsOnlyPgq(conn: SqlConnection, schema: string, files: readonly MigrationFile[]): Promise<void> {
  const found = await foreignObjects(conn, schema, pgqTables(files), false)
  if (found.length > 0) {
    throw new ConfigurationError(
      `schema "${schema}" also holds objects pgq did not make (${found.join(', ')}): move or drop them first; nothing was dropped`,
    )
  }
}
