// A client module (clients/*.mjs) served over IPC, so the parent (the bench, Node 20) can
// install and enqueue through a library that needs another node (Node 22 for graphile-worker
// 0.18 and pg-boss 12). Requests: { type: 'call', id, op, args }; answers: { type: 'result',
// id, value } or { ..., error }. The timed loops run here, so no IPC hop is ever timed.
import { pathToFileURL } from 'node:url'
import { withTimedLoops } from '../clients/timed.mjs'
import { config, main, send } from './protocol.mjs'

main(async () => {
  // { module: path of the client module }
  const client = await import(pathToFileURL(config().module).href)
  let producer
  const ops = {
    install: (target, settings) => client.install(target, settings),
    async open(target, settings) {
      producer = withTimedLoops(await client.open(target, settings))
    },
    enqueueOne: (payload) => producer.enqueueOne(payload),
    enqueueBatch: (payloads) => producer.enqueueBatch(payloads),
    timeSingles: (n) => producer.timeSingles(n),
    timeBatches: (jobs, size) => producer.timeBatches(jobs, size),
    enqueueTimed: (payload) => producer.enqueueTimed(payload),
    async close() {
      await producer?.close()
      producer = undefined
    },
  }
  await new Promise((resolve) => {
    process.on('message', async (m) => {
      if (m?.type === 'exit') return resolve()
      if (m?.type !== 'call') return
      try {
        const value = await ops[m.op](...m.args)
        // Ids and the like are not needed by the parent: answer with plain values only.
        await send({ type: 'result', id: m.id, value: typeof value === 'number' || (value && typeof value.t0 === 'number') ? value : undefined })
      } catch (error) {
        await send({ type: 'result', id: m.id, error: String(error?.stack ?? error) })
      }
    })
    void send({ type: 'ready' })
  })
})
