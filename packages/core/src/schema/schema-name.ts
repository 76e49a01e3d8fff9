import { ConfigurationError } from '../errors.js'
import { DEFAULT_SCHEMA } from './default-schema.js'

// 56 at most: its NOTIFY channel, '<schema>_events', must fit Postgres's 63-byte names.
const VALID = /^[a-z_][a-z0-9_]{0,55}$/

/** Checks a schema name; only plain lower-case identifiers, so quoting is never ambiguous. */
export function schemaName(name: string = DEFAULT_SCHEMA): string {
  if (!VALID.test(name)) {
    throw new ConfigurationError(
      `invalid schema name ${JSON.stringify(name)}: use 1-56 lower-case letters, digits or _, not starting with a digit`,
    )
  }
  // PostgreSQL's own: pg_* names are reserved, and information_schema is the catalog's.
  if (name.startsWith('pg_') || name === 'information_schema') {
    throw new ConfigurationError(`schema name ${JSON.stringify(name)} belongs to PostgreSQL itself: choose another (the default is pgq)`)
  }
  return name
}

/** The LISTEN/NOTIFY channel of a schema (the trigger builds the same from TG_TABLE_SCHEMA). */
export function eventsChannel(schema: string): string {
  return `${schema}_events`
}

/** Rewrites the `"pgq"` placeholder of a migration to the configured schema. */
export function applySchemaName(statement: string, schema: string): string {
  const renamed = statement.replaceAll(`"${DEFAULT_SCHEMA}"`, `"${schemaName(schema)}"`)
  // The schema may exist already (created by a DBA with the right owner).
  return renamed.replace(/^CREATE SCHEMA "/, 'CREATE SCHEMA IF NOT EXISTS "')
}
