import { verifySchema } from '../migrations/verify.js'
import { type CliIo, type ConnectionFlags, line, resolveConnection, withClient } from './context.js'

/** Prints one line per missing object or problem; exit code 1 if there is any. */
export async function verify(flags: ConnectionFlags, io: CliIo): Promise<number> {
  const { url, schema } = resolveConnection(flags, io)
  const result = await withClient(url, (conn) => verifySchema(conn, { schema }))
  if (result.ok) {
    line(io.stdout, 'ok')
    return 0
  }
  for (const object of result.missing) line(io.stdout, `missing: ${object}`)
  for (const problem of result.problems) line(io.stdout, `problem: ${problem}`)
  return 1
}
