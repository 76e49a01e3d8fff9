import { is } from 'drizzle-orm/entity'
import { getTableConfig, isPgEnum, PgDialect, PgEnumColumn, PgTable } from 'drizzle-orm/pg-core'
import * as model from '../schema/index.js'
import { DEFAULT_SCHEMA } from '../schema/pg-schema.js'
import type { Queryable as SqlConnection } from '../driver/driver.js'
import { type MigrationFile, readMigrationFiles } from './files.js'
import { schemaName } from '../schema/schema-name.js'

export interface VerifyResult {
  ok: boolean
  /** Objects that should exist and do not, one human-readable name each. */
  missing: string[]
  /** Objects that exist but differ (type, nullability, index shape, edited migration...). */
  problems: string[]
}

const exported: unknown[] = Object.values(model)
type Catalog = Awaited<ReturnType<typeof readCatalog>>

/**
 * Compares a live schema with what this code expects. Tables, columns, indexes and enums
 * come from the Drizzle schema; functions and triggers from the migration SQL, so neither
 * needs a hand-kept list.
 */
export async function verifySchema(
  conn: SqlConnection,
  options: { schema?: string; migrations?: MigrationFile[] } = {},
): Promise<VerifyResult> {
  const schema = schemaName(options.schema)
  const migrations = options.migrations ?? readMigrationFiles()
  const found = await readCatalog(conn, schema)
  if (!found.schemaExists) return { ok: false, missing: [`schema ${schema}`], problems: [] }

  const missing: string[] = []
  const problems: string[] = []
  checkEnums(schema, found, missing)
  for (const table of exported.filter((v): v is PgTable => is(v, PgTable))) {
    checkTable(schema, table, found, missing, problems)
  }
  checkRoutines(schema, migrations, found, missing, problems)
  await checkMigrations(conn, schema, migrations, found, missing, problems)
  return { ok: missing.length === 0 && problems.length === 0, missing, problems }
}

/** Everything pgq might own in the schema, in a handful of parameterised catalog queries. */
async function readCatalog(conn: SqlConnection, schema: string) {
  const q = async (sql: string) => (await conn.query(sql, [schema])).rows
  const attnames = (rel: string, keys: string) =>
    `array(select a.attname::text from unnest(${keys}) with ordinality u(n, ord)
       join pg_attribute a on a.attrelid = ${rel} and a.attnum = u.n order by u.ord)`
  const inSchema = 'join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1'
  return {
    schemaExists: (await q('select 1 from pg_namespace where nspname = $1')).length > 0,
    tables: new Set((await q(`select c.relname from pg_class c ${inSchema} and c.relkind in ('r', 'p')`)).map((r) => r.relname as string)),
    columns: await q(
      `select c.relname as table, a.attname as name, format_type(a.atttypid, a.atttypmod) as type,
         t.typtype, t.typname, tn.nspname as type_schema, a.attnotnull as not_null, a.attidentity as identity
       from pg_attribute a join pg_class c on c.oid = a.attrelid
       join pg_type t on t.oid = a.atttypid join pg_namespace tn on tn.oid = t.typnamespace
       ${inSchema} and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped`,
    ),
    indexes: await q(
      `select i.relname as name, c.relname as table, x.indisunique as unique,
         ${attnames('x.indrelid', 'x.indkey::int2[]')} as columns, pg_get_expr(x.indpred, x.indrelid) as predicate
       from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class c on c.oid = x.indrelid ${inSchema}`,
    ),
    constraints: await q(
      `select k.conname as name, c.relname as table, k.contype as type, ${attnames('k.conrelid', 'k.conkey')} as columns
       from pg_constraint k join pg_class c on c.oid = k.conrelid ${inSchema}`,
    ),
    enums: await q(
      `select t.typname as name, array(select e.enumlabel::text from pg_enum e
         where e.enumtypid = t.oid order by e.enumsortorder) as labels
       from pg_type t join pg_namespace n on n.oid = t.typnamespace where n.nspname = $1 and t.typtype = 'e'`,
    ),
    functions: new Set(
      (await q('select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = $1')).map(
        (r) => r.proname as string,
      ),
    ),
    triggers: await q(
      `select g.tgname as name, c.relname as table, g.tgenabled as enabled
       from pg_trigger g join pg_class c on c.oid = g.tgrelid ${inSchema} and not g.tgisinternal`,
    ),
  }
}

function checkEnums(schema: string, found: Catalog, missing: string[]): void {
  for (const e of exported.filter(isPgEnum)) {
    const row = found.enums.find((r) => r.name === e.enumName)
    if (!row) {
      missing.push(`enum ${schema}.${e.enumName}`)
      continue
    }
    const labels = row.labels as string[]
    for (const label of e.enumValues) {
      if (!labels.includes(label)) missing.push(`enum label '${label}' of ${schema}.${e.enumName}`)
    }
  }
}

function checkTable(schema: string, table: PgTable, found: Catalog, missing: string[], problems: string[]): void {
  const config = getTableConfig(table)
  const name = `${schema}.${config.name}`
  if (!found.tables.has(config.name)) {
    missing.push(`table ${name}`) // its columns and indexes go with it: not listed one by one
    return
  }
  for (const col of config.columns) {
    const row = found.columns.find((r) => r.table === config.name && r.name === col.name)
    const label = `column ${name}.${col.name}`
    if (!row) {
      missing.push(label)
      continue
    }
    // Enum types are compared schema-qualified: a same-named enum elsewhere is still wrong.
    const enumColumn = is(col, PgEnumColumn)
    const type = enumColumn && row.typtype === 'e' ? `${row.type_schema}.${row.typname}` : (row.type as string)
    const expected = enumColumn ? `${schema}.${col.enum.enumName}` : col.getSQLType()
    if (normalizeType(type) !== normalizeType(expected)) problems.push(`${label} has type ${type}, expected ${expected}`)
    if (row.not_null !== col.notNull) problems.push(`${label} is ${nullability(row.not_null === true)}, expected ${nullability(col.notNull)}`)
    const identity = { a: 'always', d: 'byDefault' }[row.identity as string] ?? 'none'
    const wanted = col.generatedIdentity?.type ?? 'none'
    if (identity !== wanted) problems.push(`${label} has identity ${identity}, expected ${wanted}`)
  }

  const primary = [...config.columns.filter((c) => c.primary), ...config.primaryKeys.flatMap((k) => k.columns)].map((c) => c.name)
  const constraints = found.constraints.filter((r) => r.table === config.name)
  if (primary.length > 0) {
    const pk = constraints.find((r) => r.type === 'p')
    if (!pk) missing.push(`primary key of ${name}`)
    else if (!sameList(pk.columns, primary)) problems.push(`primary key of ${name} is on (${list(pk.columns)}), expected (${primary.join(', ')})`)
  }
  const uniques = [
    ...config.uniqueConstraints.map((u) => ({ name: u.getName(), columns: u.columns.map((c) => c.name) })),
    ...config.columns.filter((c) => c.isUnique).map((c) => ({ name: c.uniqueName, columns: [c.name] })),
  ]
  for (const u of uniques) {
    const row = constraints.find((r) => r.name === u.name && r.type === 'u')
    if (!row) missing.push(`unique constraint ${schema}.${u.name} on ${name}`)
    else if (!sameList(row.columns, u.columns)) problems.push(`unique constraint ${schema}.${u.name} is on (${list(row.columns)}), expected (${u.columns.join(', ')})`)
  }
  for (const other of [...config.foreignKeys.map((f) => f.getName()), ...config.checks.map((c) => c.name)]) {
    if (!constraints.some((r) => r.name === other)) missing.push(`constraint ${schema}.${other} on ${name}`)
  }
  for (const index of config.indexes) checkIndex(schema, config.name, index.config, found, missing, problems)
}

const dialect = new PgDialect()

function checkIndex(
  schema: string,
  table: string,
  index: ReturnType<typeof getTableConfig>['indexes'][number]['config'],
  found: Catalog,
  missing: string[],
  problems: string[],
): void {
  const label = `index ${schema}.${index.name}`
  const row = found.indexes.find((r) => r.name === index.name)
  if (!row) {
    missing.push(`${label} on ${schema}.${table}`)
    return
  }
  if (row.table !== table) problems.push(`${label} is on table ${row.table}, expected ${table}`)
  if (row.unique !== index.unique) problems.push(`${label} is ${row.unique ? '' : 'not '}unique, expected ${index.unique ? '' : 'not '}unique`)
  const columns = index.columns.map((c) => ('name' in c ? c.name : undefined))
  // Expression columns have no name on either side; compare only plain column lists.
  if (!columns.includes(undefined) && !sameList(row.columns, columns)) {
    problems.push(`${label} is on (${list(row.columns)}), expected (${columns.join(', ')})`)
  }
  const expected = index.where ? dialect.sqlToQuery(index.where).sql : undefined
  const actual = (row.predicate as string | null) ?? undefined
  // Postgres rewrites predicates (casts, ANY(ARRAY[...])): compare the words and literals they use.
  if (predicateWords(expected) !== predicateWords(actual)) {
    problems.push(`${label} has predicate ${actual ?? '(none)'}, expected ${expected ?? '(none)'}`)
  }
}

/** Functions and triggers the migrations create (and do not drop later), read from their SQL. */
function expectedRoutines(migrations: MigrationFile[]) {
  const functions = new Set<string>()
  const triggers = new Map<string, string>()
  const p = `"${DEFAULT_SCHEMA}"\\.`
  const patterns = {
    createFunction: new RegExp(`create\\s+(?:or\\s+replace\\s+)?function\\s+${p}"?(\\w+)`, 'gi'),
    dropFunction: new RegExp(`drop\\s+function\\s+(?:if\\s+exists\\s+)?${p}"?(\\w+)`, 'gi'),
    createTrigger: new RegExp(`create\\s+(?:or\\s+replace\\s+)?(?:constraint\\s+)?trigger\\s+"?(\\w+)"?[^;]*?\\son\\s+${p}"?(\\w+)`, 'gi'),
    dropTrigger: /drop\s+trigger\s+(?:if\s+exists\s+)?"?(\w+)"?/gi,
  }
  for (const statement of migrations.flatMap((m) => m.statements)) {
    const sql = statement.replace(/--.*$/gm, '')
    for (const [, fn] of sql.matchAll(patterns.createFunction)) functions.add(fn as string)
    for (const [, fn] of sql.matchAll(patterns.dropFunction)) functions.delete(fn as string)
    for (const [, tg, table] of sql.matchAll(patterns.createTrigger)) triggers.set(tg as string, table as string)
    for (const [, tg] of sql.matchAll(patterns.dropTrigger)) triggers.delete(tg as string)
  }
  return { functions, triggers }
}

function checkRoutines(schema: string, migrations: MigrationFile[], found: Catalog, missing: string[], problems: string[]): void {
  const { functions, triggers } = expectedRoutines(migrations)
  for (const fn of functions) if (!found.functions.has(fn)) missing.push(`function ${schema}.${fn}()`)
  for (const [name, table] of triggers) {
    if (!found.tables.has(table)) continue // reported as a missing table
    const row = found.triggers.find((r) => r.name === name && r.table === table)
    if (!row) missing.push(`trigger ${name} on ${schema}.${table}`)
    else if (row.enabled === 'D') problems.push(`trigger ${name} on ${schema}.${table} is disabled`)
  }
}

async function checkMigrations(
  conn: SqlConnection,
  schema: string,
  migrations: MigrationFile[],
  found: Catalog,
  missing: string[],
  problems: string[],
): Promise<void> {
  if (!found.tables.has('pgq_migrations')) {
    missing.push(`table ${schema}.pgq_migrations`)
    return
  }
  // The schema name is validated by schemaName(); only identifiers are interpolated here.
  const { rows } = await conn.query(`select version, tag, hash from "${schema}".pgq_migrations`)
  for (const file of migrations) {
    const row = rows.find((r) => Number(r.version) === file.version)
    if (!row) missing.push(`migration ${file.tag} (version ${file.version} is not applied)`)
    else if (row.hash !== file.hash) problems.push(`migration ${file.tag} was applied with a different hash: its SQL file was edited after it ran`)
  }
}

/** Drizzle writes SQL aliases; format_type() writes canonical names. */
function normalizeType(type: string): string {
  return type
    .toLowerCase()
    .replace(/^varchar/, 'character varying')
    .replace(/^char\b/, 'character')
    .replace(/^(timestamp|time)(\(\d+\))?$/, '$1$2 without time zone')
    .replace(/^bigserial$/, 'bigint')
    .replace(/^serial$/, 'integer')
    .replace(/^smallserial$/, 'smallint')
}

function predicateWords(predicate: string | undefined): string {
  if (!predicate) return ''
  const casts = /::[\w."]+(\[\])?/g
  const words = predicate.replace(casts, '').toLowerCase().match(/'[^']*'|[a-z_][a-z0-9_]*/g) ?? []
  const rewritten = new Set(['any', 'array', 'in']) // `x in (...)` comes back as `x = any (array[...])`
  return [...new Set(words.filter((w) => !rewritten.has(w)))].sort().join(' ')
}

const nullability = (notNull: boolean) => (notNull ? 'NOT NULL' : 'nullable')
const sameList = (a: unknown, b: unknown[]) => JSON.stringify(a) === JSON.stringify(b)
const list = (a: unknown) => (a as string[]).join(', ')
