// The parent's handle on a queue's client side (clients/*.mjs): install its schema and open
// a producer. Modules that run on the bench's node are imported here; the others (an
// anchor that needs Node 22) are served by a client process on that node (workers/client-process.mjs).
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Adapter } from './adapters.ts'
import { withTimedLoops } from './clients/timed.mjs'
import { withTimeout } from './procs.ts'
import { anchorNodePath } from './runtime.ts'

/** One open connection of a queue's client; the timed loops measure where the client runs. */
export interface Producer {
  enqueueOne(payload: Record<string, unknown>): Promise<unknown>
  enqueueBatch(payloads: Record<string, unknown>[]): Promise<unknown>
  /** `n` single enqueues awaited one after another; elapsed ms. */
  timeSingles(n: number): Promise<number>
  /** `jobs` jobs in batches of `size`; elapsed ms. */
  timeBatches(jobs: number, size: number): Promise<number>
  /** One enqueue and the machine clock (`now()`) just before and after it. */
  enqueueTimed(payload: Record<string, unknown>): Promise<{ t0: number; t1: number }>
  close(): Promise<void>
}

export interface Client {
  install(target: string, settings?: unknown): Promise<void>
  producer(target: string, settings?: unknown): Promise<Producer>
  /** Ends the client process, if there is one. */
  close(): Promise<void>
}

interface ClientModule {
  install(target: string, settings?: unknown): Promise<void>
  open(target: string, settings?: unknown): Promise<Pick<Producer, 'enqueueOne' | 'enqueueBatch' | 'close'>>
}

const clientProcessScript = fileURLToPath(new URL('./workers/client-process.mjs', import.meta.url))

export async function openClient(adapter: Adapter): Promise<Client> {
  if (adapter.runtime === 'bench') {
    const mod = (await import(pathToFileURL(adapter.client).href)) as ClientModule
    return {
      install: (target, settings) => mod.install(target, settings),
      producer: async (target, settings) => withTimedLoops(await mod.open(target, settings)) as Producer,
      close: async () => undefined,
    }
  }
  return remoteClient(adapter)
}

/** Runs `fn` with a client and closes it after. */
export async function withClient<T>(adapter: Adapter, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = await openClient(adapter)
  try {
    return await fn(client)
  } finally {
    await client.close()
  }
}

async function remoteClient(adapter: Adapter): Promise<Client> {
  const child: ChildProcess = fork(clientProcessScript, [], {
    execPath: anchorNodePath(),
    execArgv: [],
    env: { ...process.env, BENCH_WORKER_CONFIG: JSON.stringify({ module: adapter.client }) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  let nextId = 0
  let gone: Error | undefined
  let markReady!: () => void
  const ready = new Promise<void>((r) => (markReady = r))
  child.on('message', (m: { type: string; id?: number; value?: unknown; error?: string }) => {
    if (m.type === 'ready') markReady()
    if (m.type !== 'result') return
    const call = pending.get(m.id!)
    pending.delete(m.id!)
    if (m.error) call?.reject(new Error(`${adapter.name} client: ${m.error}`))
    else call?.resolve(m.value)
  })
  child.on('exit', (code, signal) => {
    gone = new Error(`${adapter.name} client process exited (code ${code}, signal ${signal})`)
    for (const call of pending.values()) call.reject(gone)
    pending.clear()
  })
  await withTimeout(Promise.race([ready, new Promise<never>((_, reject) => child.once('exit', () => reject(gone)))]), 60_000, `${adapter.name} client process ready`)
  const call = <T>(op: string, ...args: unknown[]): Promise<T> => {
    if (gone) return Promise.reject(gone)
    const id = nextId++
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      child.send({ type: 'call', id, op, args })
    })
  }
  return {
    install: (target, settings) => call('install', target, settings),
    async producer(target, settings) {
      await call('open', target, settings)
      return {
        enqueueOne: (payload) => call('enqueueOne', payload),
        enqueueBatch: (payloads) => call('enqueueBatch', payloads),
        timeSingles: (n) => call('timeSingles', n),
        timeBatches: (jobs, size) => call('timeBatches', jobs, size),
        enqueueTimed: (payload) => call('enqueueTimed', payload),
        close: () => call('close'),
      }
    },
    async close() {
      if (gone) return
      const exited = new Promise((r) => child.once('exit', r))
      child.send({ type: 'exit' })
      await withTimeout(exited, 10_000, `${adapter.name} client process exit`).catch(() => child.kill('SIGKILL'))
    },
  }
}
