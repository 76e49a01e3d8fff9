import { is } from 'drizzle-orm/entity'
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core'
import type { Queryable as SqlConnection } from '../driver/driver.js'
import { ConfigurationError, SchemaOutdatedError } from '../errors.js'
import * as model from '../schema/index.js'
import { schemaName } from '../schema/schema-name.js'

/**
 * How much a crash of the database server may take with it (PGQueuer's levels):
 * - `durable` (default): every table is logged; a crash loses nothing that was committed.
 * - `balanced`: jobs stay logged; the history (`log` and `statistics`) is UNLOGGED, so a crash
 *   empties the history but never loses a job.
 * - `volatile`: `jobs`, `log` and `statistics` are UNLOGGED: a crash empties the queue too.
 *
 * Postgres truncates unlogged tables on crash recovery (not on a clean restart), does not
 * replicate them (a promoted replica has them empty; a standby cannot read them) and writes
 * no WAL for their rows. entrypoints, schedules, leases, rate_limits and pgq_migrations are
 * always logged, and so are the schema's sequences (see setDurability).
 */
export const DURABILITY_LEVELS = ['durable', 'balanced', 'volatile'] as const
export type DurabilityLevel = (typeof DURABILITY_LEVELS)[number]

/** The tables each level makes UNLOGGED, in the order workers lock them (jobs, log, statistics, then who waits for whom). */
export const UNLOGGED_TABLES: Readonly<Record<DurabilityLevel, readonly string[]>> = {
  durable: [],
  balanced: ['log', 'statistics'],
  volatile: ['jobs', 'log', 'statistics', 'job_dependencies'],
}

/** Present since the first migration: without them pgq is not installed in the schema. */
const CORE_TABLES = ['jobs', 'log', 'statistics']

/** Same namespace as the migrator's lock (migrations/migrator.ts): a switch never interleaves with an upgrade. */
const LOCK_NAMESPACE = 'pgq-migrate'

/** Every table pgq owns: the Drizzle model's, plus the migrator's bookkeeping, in lock order. */
function pgqTables(): string[] {
  const exported: unknown[] = Object.values(model)
  const modelled = exported
    .filter((v): v is PgTable => is(v, PgTable))
    .map((t) => getTableConfig(t).name)
  const rest = [...new Set([...modelled, 'pgq_migrations'])].filter((n) => !CORE_TABLES.includes(n)).sort()
  return [...CORE_TABLES, ...rest]
}

/** Checks a level; `field` names the setting in the message (`level`, `--level`). */
export function durabilityLevel(value: unknown, field = 'level'): DurabilityLevel {
  if (typeof value === 'string' && (DURABILITY_LEVELS as readonly string[]).includes(value)) return value as DurabilityLevel
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 64)) : String(value)
  throw new ConfigurationError(`${field} must be one of ${DURABILITY_LEVELS.map((l) => `'${l}'`).join(', ')}, got ${shown}`)
}

export interface TablePersistence {
  /** Table name (unqualified) -> whether it is UNLOGGED; only tables that exist. */
  tables: Map<string, boolean>
  /** Sequences of the schema that are UNLOGGED (Postgres 15+ makes a table's identity sequences follow it). */
  unloggedSequences: string[]
}

/** pg_class.relpersistence of pgq's tables and sequences in the schema. */
export async function readPersistence(conn: SqlConnection, options: { schema?: string } = {}): Promise<TablePersistence> {
  const schema = schemaName(options.schema)
  const { rows } = await conn.query(
    `select c.relname as name, c.relkind as kind, c.relpersistence = 'u' as unlogged
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = $1 and (c.relkind = 'S' or (c.relkind = 'r' and c.relname = any($2::text[])))`,
    [schema, pgqTables()],
  )
  const byName = new Map(rows.filter((r) => r.kind === 'r').map((r) => [r.name as string, r.unlogged === true]))
  const tables = new Map(pgqTables().flatMap((name) => (byName.has(name) ? [[name, byName.get(name) as boolean] as const] : [])))
  const missing = CORE_TABLES.filter((name) => !tables.has(name))
  if (missing.length > 0) throw new SchemaOutdatedError(`pgq is not installed in schema "${schema}" (no table ${missing.map((n) => `${schema}.${n}`).join(', ')})`)
  const unloggedSequences = rows.filter((r) => r.kind === 'S' && r.unlogged === true).map((r) => r.name as string).sort()
  return { tables, unloggedSequences }
}

/** The level whose UNLOGGED tables are exactly the unlogged ones; 'mixed' when none matches. */
export function levelOf(tables: ReadonlyMap<string, boolean>): DurabilityLevel | 'mixed' {
  const unlogged = [...tables].filter(([, u]) => u).map(([name]) => name)
  const level = DURABILITY_LEVELS.find((l) => UNLOGGED_TABLES[l].length === unlogged.length && unlogged.every((n) => UNLOGGED_TABLES[l].includes(n)))
  return level ?? 'mixed'
}

/** The schema's current durability level, read from pg_class.relpersistence. */
export async function readDurability(conn: SqlConnection, options: { schema?: string } = {}): Promise<DurabilityLevel | 'mixed'> {
  return levelOf((await readPersistence(conn, options)).tables)
}

export interface SetDurabilityResult {
  level: DurabilityLevel
  /** Qualified names of the tables (and sequences) whose persistence this call changed; [] when it already had the level. */
  changed: string[]
}

/**
 * Sets the schema's tables to a level, in one transaction: ALTER TABLE ... SET LOGGED or
 * SET UNLOGGED on each table that is not already as the level wants (every other pgq table
 * is set back to logged, so this also repairs a 'mixed' schema). Tables already right are
 * not touched, so repeating a level is free.
 *
 * Each change rewrites the table (and its indexes and TOAST table) under an ACCESS EXCLUSIVE
 * lock, held to the commit: it waits for the transactions using the tables and blocks every
 * worker and enqueue meanwhile, for a time that grows with the tables' size (SET LOGGED also
 * writes the whole table to the WAL). The locks are taken up front in the order workers take
 * them, so a running worker waits rather than deadlocks.
 *
 * Sequences stay logged at every level: Postgres 15+ makes a table's identity sequence
 * follow SET UNLOGGED, and an unlogged jobs_id_seq would restart at 1 after a crash and hand
 * out job ids that callers may still hold for jobs of before it. Setting them back is cheap
 * (a sequence writes WAL once per 32 values).
 */
export async function setDurability(conn: SqlConnection, level: DurabilityLevel, options: { schema?: string } = {}): Promise<SetDurabilityResult> {
  const wanted = durabilityLevel(level)
  const schema = schemaName(options.schema)
  // Table names are pgq's own; sequence names come from the catalog, so quote them fully.
  const qualified = (name: string) => `"${schema}"."${name.replaceAll('"', '""')}"`
  await conn.query('begin')
  try {
    await conn.query('select pg_advisory_xact_lock(hashtext($1), hashtext($2))', [LOCK_NAMESPACE, schema])
    const before = await readPersistence(conn, { schema })
    const unlogged = new Set(UNLOGGED_TABLES[wanted])
    // pgqTables() order, which is the lock order.
    const changes = [...before.tables].filter(([name, isUnlogged]) => isUnlogged !== unlogged.has(name)).map(([name]) => name)
    if (changes.length > 0) {
      await conn.query(`lock table ${changes.map(qualified).join(', ')} in access exclusive mode`)
      for (const name of changes) await conn.query(`alter table ${qualified(name)} set ${unlogged.has(name) ? 'unlogged' : 'logged'}`)
    }
    const after = await readPersistence(conn, { schema })
    for (const name of after.unloggedSequences) await conn.query(`alter sequence ${qualified(name)} set logged`)
    await conn.query('commit')
    const changed = [...changes, ...before.unloggedSequences].map((name) => `${schema}.${name}`)
    return { level: wanted, changed }
  } catch (error) {
    await conn.query('rollback').catch(() => undefined)
    throw error
  }
}
