// The full entry, for servers (Node 20.19+, Bun, Deno): the edge entry plus the
// node-postgres driver, migrations and process signals.
export { type NodePostgresConfig, type NodePostgresPool, nodePostgresDriver } from './driver/node-postgres/index.js'
export { type PgClient, type PgClientSettings, withPgClient } from './driver/node-postgres/with-client.js'
export * from './edge.js'
export type { Queryable as SqlConnection } from './driver/driver.js'
export type { MigrationFile } from './migrations/files.js'
export { type MigrateOptions, type MigrateResult, migrate, uninstall } from './migrations/migrator.js'
export {
  DURABILITY_LEVELS,
  type DurabilityLevel,
  readDurability,
  type SetDurabilityResult,
  setDurability,
} from './migrations/durability.js'
export { type VerifyResult, verifySchema } from './migrations/verify.js'
export { SCHEMA_VERSION } from './schema/version.js'
export { stopOnSignals } from './node/stop-on-signals.js'
