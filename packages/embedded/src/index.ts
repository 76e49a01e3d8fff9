// Embedded PostgreSQL for the demo, the tests and the bench: not part of a published package.
export { type EmbeddedPostgres, findFreePort, startEmbeddedPostgres } from './embedded-postgres.js'
