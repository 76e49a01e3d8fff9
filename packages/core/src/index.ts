// The full entry, for Node hosts: everything on the edge entry plus workers and migrations.
export * from './edge.js'
export type { PgqDriver, Session } from './driver/driver.js'
export { nodePostgresDriver } from './drivers/node-postgres/index.js'
export { migrate, uninstall } from './migrations/migrator.js'
export { SCHEMA_VERSION } from './migrations/version.js'
export { type ClaimEntrypoint, type Consumer, createConsumer } from './queue/consumer.js'
export { backoffDelayMs, failureOf, type RetryPolicy, tracebackOf } from './queue/retry-policy.js'
export type { Failure, FailureAction } from './sql/fail-jobs.js'
