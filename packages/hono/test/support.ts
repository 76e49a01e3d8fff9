// A queue on a fresh test database (node-postgres), for the app and the Node adapter.

import type { Job } from '@pgq/core'
import { createQueue, migrate, nodePostgresDriver, type PgqDriver, withPgClient } from '@pgq/core'
import { afterAll, beforeAll } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../core/test/setup/database.js'

export async function freshDatabase(prefix: string): Promise<TestDatabase> {
  const db = await createTestDatabase(prefix)
  await withPgClient(db.url, (c) => migrate(c))
  return db
}

export function testQueue(driver: PgqDriver) {
  return createQueue({ driver })
    .entrypoint('ok', async (_job: Job<unknown>) => undefined)
    .entrypoint('fail', { maxAttempts: 1 }, async (_job: Job<unknown>) => {
      throw new Error('always fails')
    })
}

export function driverFor(db: TestDatabase) {
  return nodePostgresDriver({ connectionString: db.url, max: 4 })
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

/** A fresh database and a driver on it for the describe block (or file) it is called in; both are closed after. */
export function useAppDatabase(prefix: string): { db: TestDatabase; driver: PgqDriver } {
  const f = {} as { db: TestDatabase; driver: PgqDriver }
  beforeAll(async () => {
    f.db = await freshDatabase(prefix)
    f.driver = driverFor(f.db)
  })
  afterAll(async () => {
    await f.driver?.end()
    await f.db?.drop()
  })
  return f
}
