import type pg from 'pg'
import { afterAll, beforeAll } from 'vitest'
import type { PgqDriver } from '../../src/driver/driver.js'
import type { QueryLogger } from '../../src/driver/pool-config.js'
import { neonServerlessDriver } from '../../src/driver/neon-serverless/index.js'
import { nodePostgresDriver } from '../../src/driver/node-postgres/index.js'
import { migrate } from '../../src/migrations/migrator.js'
import { createConsumer } from '../../src/queue/consumer.js'
import { createFleet } from '../../src/queue/fleet.js'
import { createProducer } from '../../src/runtime/producer.js'
import { createTestDatabase, neonPool, pgPool } from '../setup/database.js'

export const DRIVERS = ['node-postgres', 'neon-serverless'] as const
export type DriverName = (typeof DRIVERS)[number]

export interface QueueFixture {
  url: string
  schema: string
  driver: PgqDriver
  /** Raw SQL on a plain pg pool, for assertions the API does not offer. */
  sql(text: string, params?: unknown[]): Promise<Record<string, unknown>[]>
  producer(): ReturnType<typeof createProducer>
  consumer(workerId?: string): ReturnType<typeof createConsumer>
  /** Pause, resume and fleet-wide limits (the stored policy every claim obeys). */
  fleet(): ReturnType<typeof createFleet>
  /** Empties the queue and the log between tests. */
  reset(): Promise<void>
}

/** A driver on a pool of its own; end() closes the pool (a driver leaves a pool it was given open). */
export function makeDriver(name: DriverName, url: string, max = 10, logger?: QueryLogger): PgqDriver {
  const pool = name === 'node-postgres' ? pgPool(url, { max }) : neonPool(url, { max })
  const driver =
    name === 'node-postgres'
      ? nodePostgresDriver({ pool: pool as ReturnType<typeof pgPool>, logger })
      : neonServerlessDriver({ pool: pool as ReturnType<typeof neonPool>, logger })
  return { ...driver, end: () => pool.end() }
}

/**
 * A fresh database per test file with pgq installed, and the driver under test.
 * Call at the top of a describe block; the fixture is filled in beforeAll.
 */
export function useQueueDatabase(prefix: string, driverName: DriverName, schema = 'pgq'): QueueFixture {
  const f = { schema } as QueueFixture
  let drop: () => Promise<void>
  let admin: pg.Pool
  beforeAll(async () => {
    const db = await createTestDatabase(`${prefix}_${driverName.replace('-', '_')}`)
    drop = db.drop
    f.url = db.url
    admin = pgPool(db.url, { max: 2 }) // ignores the terminate of the final DROP DATABASE ... FORCE
    const client = await admin.connect()
    try {
      await migrate(client, { schema })
    } finally {
      client.release()
    }
    f.driver = makeDriver(driverName, db.url, 20)
    f.sql = async (text, params) => (await admin.query(text, params)).rows
    // The driver decides: node-postgres runs the hot paths as prepared statements, Neon does not.
    f.producer = () => createProducer({ driver: f.driver, schema })
    f.consumer = (workerId = crypto.randomUUID()) => createConsumer({ driver: f.driver, schema, workerId })
    f.fleet = () => createFleet({ driver: f.driver, schema })
    f.reset = async () => {
      await admin.query(`truncate "${schema}".jobs, "${schema}".log, "${schema}".entrypoints`)
    }
  })
  afterAll(async () => {
    await f.driver?.end()
    await admin?.end()
    await drop?.()
  })
  return f
}
