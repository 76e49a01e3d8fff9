/** The schema name in the generated SQL: a placeholder the migrator rewrites. No Drizzle import, so the CLI starts fast. */
export const DEFAULT_SCHEMA = 'pgq'
