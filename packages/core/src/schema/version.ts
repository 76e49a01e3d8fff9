/**
 * The migration count this code needs. Kept as a constant so the edge entry need not read
 * files; a test fails when it drifts from drizzle/meta/_journal.json.
 */
export const SCHEMA_VERSION = 14
