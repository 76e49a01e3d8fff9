// A flow that spans runtimes: enqueued inside workerd, its steps run alternately by edge
// drains here (edge_step, served only by this Worker-side queue) and by a continuous Node
// worker (vm_step, served only by test/setup/vm-flow-worker.ts, started by the global setup).
import { env } from 'cloudflare:workers'
import { Pool } from '@neondatabase/serverless'
import { createQueue } from '@pgq/core/edge'
import { neonServerlessDriver } from '@pgq/core/neon-serverless'
import { expect, it } from 'vitest'
import { useWsProxy } from '../../src/neon-proxy.js'

const schema = (env as unknown as { PGQ_FLOW_SCHEMA: string }).PGQ_FLOW_SCHEMA

it('completes a flow enqueued in a Worker whose steps run on edge drains and on a VM worker', async () => {
  useWsProxy(env.PGQ_WS_PROXY!)
  const pool = new Pool({ connectionString: env.DATABASE_URL })
  pool.on('error', () => undefined)
  try {
    // vm_step is served by the VM worker: declared here for its payload type, not registered.
    const queue = createQueue<{ vm_step: { step: string } }>({ driver: neonServerlessDriver({ pool }), schema }).entrypoint('edge_step', (job) => ({
      ranOn: 'workerd',
      step: (job.payload as { step: string }).step,
    }))
    const ids = await queue.flow([
      { key: 'fetch', entrypoint: 'edge_step', payload: { step: 'fetch' } },
      { key: 'transform', entrypoint: 'vm_step', payload: { step: 'transform' }, after: ['fetch'] },
      { key: 'publish', entrypoint: 'edge_step', payload: { step: 'publish' }, after: ['transform'] },
    ])
    expect((await queue.status([ids.transform!, ids.publish!])).map((s) => s.status)).toEqual(['blocked', 'blocked'])

    // Edge drain: runs fetch, whose success releases transform (not served here). The VM worker,
    // woken by the release, runs transform, which releases publish for the edge: a quick VM worker
    // does it while this drain still looks, and the drain runs publish too.
    const first = await queue.drain({ timeBudget: '10s', maintenance: false })
    expect(first.succeeded === 1 || first.succeeded === 2).toBe(true)
    expect(await queue.waitFor(ids.transform!, { timeout: '20s' })).toBe('successful')
    const second = await queue.drain({ timeBudget: '10s', maintenance: false })
    expect(first.succeeded + second.succeeded).toBe(2)
    expect(await queue.waitFor(ids.publish!, { timeout: '5s' })).toBe('successful')

    // Each step ran once, in order, each on the runtime that serves it.
    const order = (await Promise.all([ids.fetch!, ids.transform!, ids.publish!].map((id) => queue.history(id)))).map(
      (h) => h.filter((e) => e.status === 'successful').map((e) => e.created.getTime()),
    )
    expect(order.map((t) => t.length)).toEqual([1, 1, 1])
    expect(order[0]![0]!).toBeLessThanOrEqual(order[1]![0]!)
    expect(order[1]![0]!).toBeLessThanOrEqual(order[2]![0]!)
    await queue.close()
  } finally {
    await pool.end()
  }
})
