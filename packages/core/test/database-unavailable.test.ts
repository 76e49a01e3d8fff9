// Which failures are "the database is unavailable" (DatabaseUnavailableError: transient, a
// worker's start waits them out) and which are not (they will not mend by waiting), from
// real drivers' real errors. Starting while the server is down: worker-resilience.test.ts.
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { translateError } from '../src/driver/translate-error.js'
import { DatabaseUnavailableError } from '../src/errors.js'
import { DRIVERS, makeDriver, useQueueDatabase } from './support/queue-database.js'
import { queueOn } from './support/runtime.js'

describe.each(DRIVERS)('database unavailable, over %s', (driverName) => {
  const q = useQueueDatabase('unavailable', driverName)

  it('a connection the server ended (pg_terminate_backend) is unavailable', async () => {
    const client = new pg.Client({ connectionString: q.url })
    client.on('error', () => undefined)
    await client.connect()
    try {
      const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid')
      await q.sql('select pg_terminate_backend($1)', [rows[0]!.pid])
      const error = await client.query('select 1').then(() => undefined, (e: unknown) => e)
      const translated = translateError(error)
      expect(translated).toBeInstanceOf(DatabaseUnavailableError)
      expect((translated as DatabaseUnavailableError).reason).toMatch(/^(57P01|connection lost)$/)
      expect((translated as DatabaseUnavailableError).cause).toBe(error)
    } finally {
      await client.end().catch(() => undefined)
    }
  })

  it('an SQL error is not: it passes through as the driver raised it', async () => {
    const error = await q.sql('select * from no_such_table_here').then(() => undefined, (e: unknown) => e)
    expect(translateError(error)).not.toBeInstanceOf(DatabaseUnavailableError)
    const syntax = await q.sql('selec 1').then(() => undefined, (e: unknown) => e)
    expect(translateError(syntax)).toBe(syntax)
  })

  it('a database that does not exist is not: a worker started on it rejects at once instead of waiting', async () => {
    const url = new URL(q.url)
    url.pathname = '/pgq_no_such_database'
    const driver = makeDriver(driverName, url.toString(), 2)
    try {
      const queue = queueOn(driver).entrypoint('step', {}, () => undefined)
      let startErrors = 0
      queue.on('worker:error', ({ during }) => void (during === 'start' && startErrors++))
      const error = await queue.start().done.then(() => undefined, (e: unknown) => e)
      expect(error).not.toBeInstanceOf(DatabaseUnavailableError)
      expect(error).toMatchObject({ code: '3D000' })
      expect(startErrors).toBe(0)
    } finally {
      await driver.end()
    }
  })
})
