import { uninstall as dropSchema } from '../migrations/migrator.js'
import { type CliIo, type ConnectionFlags, line, resolveConnection, UsageError, withClient } from './context.js'

/** Drops the schema and every job in it, only when asked twice (--yes) and only if pgq made it. */
export async function uninstall(flags: ConnectionFlags & { yes?: boolean }, io: CliIo): Promise<number> {
  const { url, schema } = resolveConnection(flags, io)
  if (!flags.yes) {
    throw new UsageError(`refusing to drop schema "${schema}" and every job in it without --yes`)
  }
  return withClient(url, async (conn) => {
    const { rows } = await conn.query(
      'select exists (select 1 from pg_namespace where nspname = $1) as present, to_regclass($2) is not null as pgq',
      [schema, `"${schema}".pgq_migrations`],
    )
    if (!rows[0]?.present) {
      line(io.stdout, `schema "${schema}" does not exist; nothing to uninstall`)
      return 0
    }
    if (!rows[0]?.pgq) {
      // A typo like --schema public must not drop someone else's tables.
      line(io.stderr, `pgq: schema "${schema}" has no pgq_migrations table, so pgq did not install it; not dropping it`)
      return 1
    }
    await dropSchema(conn, { schema })
    line(io.stdout, `dropped schema "${schema}"`)
    return 0
  })
}
