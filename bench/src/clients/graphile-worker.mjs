// graphile-worker's client side (runs on Node 22 with 0.18): migrations and addJob/addJobs
// through makeWorkerUtils on a pool of one connection.
import { Logger, makeWorkerUtils, runMigrations } from 'graphile-worker'
import pg from 'pg'

const silent = new Logger(() => () => undefined)

export const install = (url) => runMigrations({ connectionString: url, logger: silent })

export async function open(url) {
  const pool = new pg.Pool({ connectionString: url, max: 1 })
  pool.on('error', () => undefined)
  pool.on('connect', (client) => client.on('error', () => undefined))
  const utils = await makeWorkerUtils({ pgPool: pool, logger: silent })
  await utils.migrate()
  return {
    enqueueOne: (payload) => utils.addJob('noop', payload),
    enqueueBatch: (payloads) => utils.addJobs(payloads.map((payload) => ({ identifier: 'noop', payload }))),
    async close() {
      await utils.release()
      await pool.end()
    },
  }
}
