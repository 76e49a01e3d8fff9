import { migrate } from '../migrations/migrator.js'
import { type CliIo, type ConnectionFlags, line, resolveConnection, withClient } from './context.js'

/** Applies pending migrations; concurrent runs queue on the migrator's advisory lock. */
export async function upgrade(flags: ConnectionFlags, io: CliIo): Promise<number> {
  const { url, schema } = resolveConnection(flags, io)
  const result = await withClient(url, (conn) => migrate(conn, { schema }))
  if (result.applied.length === 0) {
    line(io.stdout, `schema "${schema}" is already up to date (version ${result.version})`)
  } else {
    for (const tag of result.applied) line(io.stdout, `applied ${tag}`)
    line(io.stdout, `schema "${schema}" is now at version ${result.version}`)
  }
  return 0
}
