// pgq's client side: migrations (plus --pgq-setup-sql) and a producer on one connection.
import { core } from '../core.mjs'

const { createQueue, migrate, nodePostgresDriver, withPgClient } = core

/** settings: { setupSql?: string } run after the migrations. */
export const install = (url, settings) =>
  withPgClient(url, async (c) => {
    await migrate(c)
    if (settings?.setupSql) await c.query(settings.setupSql)
  })

export async function open(url) {
  const driver = nodePostgresDriver({ connectionString: url, max: 1 })
  const queue = createQueue({ driver })
  // The schema check happens once per producer; do it before anything is timed.
  await queue.queueSize()
  return {
    enqueueOne: (payload) => queue.enqueue('noop', payload),
    enqueueBatch: (payloads) => queue.enqueueMany(payloads.map((payload) => ({ entrypoint: 'noop', payload }))),
    close: () => driver.end(),
  }
}
