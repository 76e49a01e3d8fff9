// The VM half of the cross-runtime flow test: a continuous Node worker (LISTEN/NOTIFY) that
// serves only `vm_step`, on the flow test's schema. Prints "ready" once started.
import { createQueue } from '@pgq/core'
import { nodePostgresDriver } from '@pgq/core/node-postgres'

const [url, schema] = process.argv.slice(2)
// Named, so worker.test.ts can tell its sessions from the Worker's.
const connectionString = `${url}${url!.includes('?') ? '&' : '?'}application_name=pgq-flow-vm-worker`
const driver = nodePostgresDriver({ connectionString })
const queue = createQueue({ driver, schema }).entrypoint('vm_step', (job) => ({ ranOn: 'node', step: (job.payload as { step: string }).step }))
// LISTEN wakes it when the edge step releases its job; the poll is a fallback only.
const worker = queue.start({ pollInterval: '1s' })
console.log('ready')
process.once('SIGTERM', async () => {
  await worker.stop()
  await driver.end()
  process.exit(0)
})
