import { ConfigurationError } from '../errors.js'
import type { Queryable as SqlConnection } from '../driver/driver.js'
import { type MigrationFile, readMigrationFiles } from './files.js'
import { checkSchemaHoldsOnlyPgq, checkSchemaIsFree } from './foreign-objects.js'
import { applySchemaName, schemaName } from '../schema/schema-name.js'

export interface MigrateOptions {
  schema?: string
  /** Stop after this migration version (1-based); default: all. Used to test upgrades. */
  to?: number
  migrations?: MigrationFile[]
}

export interface MigrateResult {
  schema: string
  applied: string[]
  /** Highest version in the database after the run. */
  version: number
}

const LOCK_NAMESPACE = 'pgq-migrate'

/** Applied versions of a schema, or an empty list when pgq was never installed there. */
export async function appliedVersions(conn: SqlConnection, schema: string): Promise<{ version: number; tag: string; hash: string }[]> {
  // A catalog scan, not to_regclass(): that reads the session's cache, which an advisory
  // lock does not refresh, so a racing install's commit would go unseen.
  const exists = await conn.query(
    `select exists (select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace
                    where n.nspname = $1 and c.relname = 'pgq_migrations') as ok`,
    [schemaName(schema)],
  )
  if (!exists.rows[0]?.ok) return []
  const { rows } = await conn.query(`select version, tag, hash from "${schema}".pgq_migrations order by version`)
  return rows as { version: number; tag: string; hash: string }[]
}

const ADDS_ENUM_VALUE = /alter\s+type\s+\S+\s+add\s+value/i

/**
 * Applies pending migrations in one transaction (split after a migration that adds an enum
 * value). An advisory lock makes concurrent runs
 * wait for each other; the second then finds nothing to do.
 */
export async function migrate(conn: SqlConnection, options: MigrateOptions = {}): Promise<MigrateResult> {
  const schema = schemaName(options.schema)
  const files = options.migrations ?? readMigrationFiles()
  const target = options.to ?? files.length
  if (!Number.isInteger(target) || target < 0 || target > files.length) {
    throw new ConfigurationError(`migration target ${target} is out of range 0..${files.length}`)
  }
  const lock = () => conn.query('select pg_advisory_xact_lock(hashtext($1), hashtext($2))', [LOCK_NAMESPACE, schema])
  await conn.query('begin')
  try {
    await lock()
    if ((await appliedVersions(conn, schema)).length === 0) await checkSchemaIsFree(conn, schema)
    await conn.query(`create schema if not exists "${schema}"`)
    await conn.query(
      `create table if not exists "${schema}".pgq_migrations (
         version integer primary key, tag text not null, hash text not null,
         applied_at timestamptz not null default now())`,
    )
    let done = new Set((await appliedVersions(conn, schema)).map((m) => m.version))
    const applied: string[] = []
    for (const file of files.slice(0, target)) {
      if (done.has(file.version)) continue
      for (const statement of file.statements) await conn.query(applySchemaName(statement, schema))
      await conn.query(`insert into "${schema}".pgq_migrations (version, tag, hash) values ($1, $2, $3)`, [
        file.version,
        file.tag,
        file.hash,
      ])
      applied.push(file.tag)
      // Postgres cannot use an enum value in the transaction that added it: commit the
      // migration that adds one before the next, which may use it.
      if (file.statements.some((statement) => ADDS_ENUM_VALUE.test(statement))) {
        await conn.query('commit')
        await conn.query('begin')
        await lock()
        // Another session may have applied the next ones meanwhile.
        done = new Set((await appliedVersions(conn, schema)).map((m) => m.version))
      }
    }
    await conn.query('commit')
    return { schema, applied, version: Math.max(0, ...done, ...files.slice(0, target).map((f) => f.version)) }
  } catch (error) {
    await conn.query('rollback').catch(() => undefined)
    throw error
  }
}

/** Drops the schema and everything in it (jobs included); refused while it holds tables pgq did not make. */
export async function uninstall(conn: SqlConnection, options: { schema?: string; migrations?: MigrationFile[] } = {}): Promise<void> {
  const schema = schemaName(options.schema)
  await checkSchemaHoldsOnlyPgq(conn, schema, options.migrations ?? readMigrationFiles())
  await conn.query(`drop schema if exists "${schema}" cascade`)
}
