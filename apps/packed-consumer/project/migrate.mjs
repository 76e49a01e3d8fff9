// migrate() and verifySchema() from the installed package, on a fresh database: the
// migrations must be found inside @pgq/core itself. Prints one JSON line.
// Usage: migrate.mjs <database-url>
import { migrate, SCHEMA_VERSION, verifySchema, withPgClient } from '@pgq/core'

const [url] = process.argv.slice(2)
if (!url) throw new Error('usage: migrate.mjs <database-url>')
const result = await withPgClient(url, async (client) => {
  const migrated = await migrate(client, { schema: 'from_code' })
  const again = await migrate(client, { schema: 'from_code' })
  const verified = await verifySchema(client, { schema: 'from_code' })
  return { applied: migrated.applied.length, version: migrated.version, againApplied: again.applied.length, verified: verified.ok, SCHEMA_VERSION }
})
console.log(JSON.stringify(result))
