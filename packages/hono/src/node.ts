// Node adapter: serve the app over HTTP next to a continuous worker, and shut both down
// gracefully on SIGTERM/SIGINT (a second signal forces the worker).
import type { AddressInfo } from 'node:net'
import type { serve as ServeHttp } from '@hono/node-server'
import type { RunSummary, StartOptions, WorkerHandle } from '@pgq/core'
import { ConfigurationError, MissingDependencyError, stopOnSignals } from '@pgq/core'
import { logError } from './log.js'
import { checkOptionNames } from './option-names.js'
import type { NodeQueue } from './types.js'

export interface ServeOptions {
  app: { fetch: (request: Request) => Response | Promise<Response> }
  queue: NodeQueue
  /** Default 3000; 0 picks a free port. */
  port?: number
  /** Default 127.0.0.1; 0.0.0.0 to be reachable from other hosts. */
  hostname?: string
  /** The continuous worker's options (queue.start(); it also fires due schedules unless maintenance is false). */
  worker?: Omit<StartOptions, 'signal'>
  /** Default SIGTERM and SIGINT; [] to handle none (call close() yourself). */
  signals?: NodeJS.Signals[]
  /** Runs last on shutdown, e.g. () => driver.end(). */
  onClose?: () => Promise<void>
}

export interface NodeDeployment {
  url: string
  port: number
  worker: WorkerHandle
  /** Stops HTTP, then the worker (running jobs finish), then the queue and onClose. */
  close(options?: { force?: boolean }): Promise<RunSummary | undefined>
  /** Settles once shut down; rejects if the worker could not start or failed. */
  closed: Promise<RunSummary | undefined>
}

/** @hono/node-server, an optional peer: imported on first use, so a missing one is named, not a raw module error at import. */
async function loadNodeServer(): Promise<typeof ServeHttp> {
  try {
    return (await import('@hono/node-server')).serve
  } catch (error) {
    throw new MissingDependencyError('@hono/node-server', 'serve() from @pgq/hono/node', { cause: error })
  }
}

/** How long the process may stay up after a signal's shutdown (pgq run's CLI waits as long). */
const EXIT_GRACE_MS = 2000

const SERVE_OPTIONS = ['app', 'queue', 'port', 'hostname', 'worker', 'signals', 'onClose']
/** A host name or an IP address (v6 without brackets, maybe with a %zone): no scheme, port or path. */
const HOSTNAME = /^[A-Za-z0-9._%:-]{1,253}$/

/** serve()'s options checked before anything starts: a bad port found by listen() would leave the worker running. */
function checkServeOptions(options: ServeOptions): { port: number; hostname: string } {
  checkOptionNames(options, SERVE_OPTIONS, 'serve')
  if (typeof options.app?.fetch !== 'function') throw new ConfigurationError('serve needs { app }: a Hono app (anything with fetch(request))')
  if (typeof options.queue?.start !== 'function') throw new ConfigurationError('serve needs { queue }: a queue from createQueue(), which can start a worker')
  const { port = 3000, hostname = '127.0.0.1' } = options
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigurationError(`serve port must be an integer from 0 to 65535 (0: a free one), got ${typeof port === 'number' ? port : JSON.stringify(port)?.slice(0, 64)}`)
  }
  if (typeof hostname !== 'string' || !HOSTNAME.test(hostname)) {
    throw new ConfigurationError(`serve hostname must be a host name or IP address such as 127.0.0.1, 0.0.0.0 or ::, got ${JSON.stringify(hostname)?.slice(0, 64)}`)
  }
  if (options.signals !== undefined && !(Array.isArray(options.signals) && options.signals.every((x) => typeof x === 'string' && /^SIG[A-Z0-9]+$/.test(x)))) {
    throw new ConfigurationError("serve signals must be an array of signal names such as ['SIGTERM', 'SIGINT']")
  }
  if (options.onClose !== undefined && typeof options.onClose !== 'function') throw new ConfigurationError('serve onClose must be a function')
  return { port, hostname }
}

export async function serve(options: ServeOptions): Promise<NodeDeployment> {
  const { port: listenPort, hostname: host } = checkServeOptions(options)
  const { queue } = options
  const serveHttp = await loadNodeServer()
  // Listening first: a port taken or an address not here (EADDRINUSE, EADDRNOTAVAIL) rejects
  // before any worker runs, never leaving one claiming jobs behind no server.
  const server = await new Promise<ReturnType<typeof ServeHttp>>((resolve, reject) => {
    const s = serveHttp({ fetch: options.app.fetch, port: listenPort, hostname: host }, () => resolve(s))
    s.once('error', reject)
  })
  const worker = queue.start(options.worker)
  const { port } = server.address() as AddressInfo

  let closing: Promise<RunSummary | undefined> | undefined
  const close = ({ force = false } = {}): Promise<RunSummary | undefined> => {
    if (closing) {
      if (force) void worker.stop({ force: true }).catch(() => undefined)
      return closing
    }
    closing = (async () => {
      // Refuse new requests first; in-flight ones finish (idle keep-alive sockets are closed).
      const httpClosed = new Promise<void>((resolve) => server.close(() => resolve()))
      if ('closeIdleConnections' in server) server.closeIdleConnections()
      try {
        return await worker.stop({ force }).catch(() => undefined)
      } finally {
        await httpClosed
        await queue.close()
        await options.onClose?.()
        removeSignalHandlers()
      }
    })()
    return closing
  }

  // Once closed after a signal, the process ends even if an abandoned handler holds it open.
  const removeSignalHandlers = stopOnSignals({ stop: close }, options.signals, { exitAfterMs: EXIT_GRACE_MS })

  // A worker that dies (e.g. no LISTEN behind a transaction pooler, a login refused) takes the
  // server down with it, and says why: a process that ends must not end with 0 and nothing said.
  const closed = worker.done.then(
    () => close(),
    async (error: unknown) => {
      const code = (error as { code?: unknown } | null)?.code
      if (typeof code === 'string' && code.startsWith('PGQ_')) console.error(`pgq serve: the worker stopped, so the server closed: ${(error as Error).name}: ${(error as Error).message}`)
      else logError('pgq serve: the worker stopped, so the server closed', error)
      if (!process.exitCode) process.exitCode = 1
      await close().catch(() => undefined)
      throw error
    },
  )
  closed.catch(() => undefined) // the caller may only ever call close()
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, port, worker, close, closed }
}
