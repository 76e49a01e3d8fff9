import { readMigrationFiles } from '../migrations/files.js'
import { appliedVersions, migrate } from '../migrations/migrator.js'
import { type CliIo, type ConnectionFlags, line, resolveConnection, withClient } from './context.js'

/** Installs pgq into a schema that does not have it yet; an existing install is left alone. */
export async function install(flags: ConnectionFlags, io: CliIo): Promise<number> {
  const { url, schema } = resolveConnection(flags, io)
  return withClient(url, async (conn) => {
    const installed = await appliedVersions(conn, schema)
    // The second check catches an install that raced us: the migrator's lock made us wait for it.
    const result = installed.length > 0 ? undefined : await migrate(conn, { schema })
    if (!result || result.applied.length === 0) {
      const version = result?.version ?? Math.max(...installed.map((m) => m.version))
      line(io.stderr, `pgq: pgq is already installed in schema "${schema}" (version ${version}); use \`pgq upgrade\` to apply new migrations`)
      return 1
    }
    for (const tag of result.applied) line(io.stdout, `applied ${tag}`)
    // Migrations that add an enum value commit on their own, so a racing install can apply
    // the first part while we apply the rest: only the one that began it says "installed".
    if (!result.applied.includes(readMigrationFiles()[0]?.tag ?? '')) {
      line(io.stderr, `pgq: another session was installing pgq in schema "${schema}" at the same time; this one applied the rest (version ${result.version})`)
      return 1
    }
    line(io.stdout, `installed pgq in schema "${schema}" (version ${result.version})`)
    return 0
  })
}
