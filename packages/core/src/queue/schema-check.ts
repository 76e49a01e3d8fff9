import type { Executor } from '../driver/driver.js'
import { execute } from '../driver/executor.js'
import { SchemaOutdatedError } from '../errors.js'
import { SCHEMA_VERSION } from '../schema/version.js'
import { installedVersion } from '../sql/inspect-jobs.js'
import { type Tables, tablesFor } from '../sql/tables.js'

/** Fails with a clear error when the database's schema is behind this code (newer is fine: migrations only add). */
export async function assertSchemaCurrent(db: Executor, t: Tables): Promise<void> {
  const [row] = await execute(db, installedVersion(t))
  const version = Number(row?.version ?? 0)
  if (version < SCHEMA_VERSION) {
    throw new SchemaOutdatedError(
      `the pgq schema "${t.schema}" is at version ${version}, this code needs version ${SCHEMA_VERSION}`,
    )
  }
}

/** Runs the check once per owner, on first use; a failed check is retried next time. */
export function schemaGate(db: Executor, schema: string, enabled: boolean): () => Promise<void> {
  const t = tablesFor(schema)
  let checked: Promise<void> | undefined
  return () => {
    if (!enabled) return Promise.resolve()
    checked ??= assertSchemaCurrent(db, t).catch((error) => {
      checked = undefined
      throw error
    })
    return checked
  }
}
