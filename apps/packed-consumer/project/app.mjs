// The consumer's own script, run by node, bun and deno alike: a queue over node-postgres,
// one entrypoint, N jobs enqueued and drained. Prints one JSON line with the outcome.
// Usage: app.mjs <database-url> [jobs]
import { createQueue, nodePostgresDriver } from '@pgq/core'

const [url, count = '100'] = process.argv.slice(2)
if (!url) throw new Error('usage: app.mjs <database-url> [jobs]')
const total = Number(count)

const driver = nodePostgresDriver({ connectionString: url })
const seen = new Set()
const queue = createQueue({ driver }).entrypoint('square', async (job) => {
  if (typeof job.payload.n !== 'number') throw new TypeError(`bad payload ${JSON.stringify(job.payload)}`)
  seen.add(job.payload.n * job.payload.n)
})

try {
  const ids = await queue.enqueueMany(Array.from({ length: total }, (_, n) => ({ entrypoint: 'square', payload: { n } })))
  const summary = await queue.drain({ timeBudget: '60s' })
  const runtime = globalThis.Deno ? 'deno' : globalThis.Bun ? 'bun' : 'node'
  console.log(JSON.stringify({ runtime, enqueued: ids.length, handled: seen.size, summary }))
} finally {
  await queue.close()
  await driver.end()
}
