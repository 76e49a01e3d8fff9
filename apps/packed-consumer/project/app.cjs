// CommonJS consumer: require() of the ESM-only packages (Node 20.19+ loads ESM synchronously).
// Usage: app.cjs <database-url>
const core = require('@pgq/core')
const edge = require('@pgq/core/edge')
const hono = require('@pgq/hono')

async function main() {
  const url = process.argv[2]
  const driver = core.nodePostgresDriver({ connectionString: url })
  const queue = core.createQueue({ driver }).entrypoint('echo', async () => {})
  try {
    await queue.enqueueMany([1, 2, 3, 4, 5].map((n) => ({ entrypoint: 'echo', payload: { n } })))
    const summary = await queue.drain({ timeBudget: 30_000 })
    console.log(JSON.stringify({
      resolved: require.resolve('@pgq/core'),
      exports: {
        createQueue: typeof core.createQueue,
        nodePostgresDriver: typeof core.nodePostgresDriver,
        migrate: typeof core.migrate,
        createQueueApi: typeof hono.createQueueApi,
      },
      // One module instance behind both entries: no dual-package hazard.
      sameCreateQueue: edge.createQueue === core.createQueue,
      sameErrorClass: edge.PgqError === core.PgqError,
      missingDependencyCode: new core.MissingDependencyError('x', 'y').code,
      summary,
    }))
  } finally {
    await queue.close()
    await driver.end()
  }
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
