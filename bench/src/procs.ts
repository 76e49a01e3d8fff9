// Worker processes: fork, wait for 'ready' (connected and warmed up), release them
// together with 'go', collect 'done'. Start-up is never inside a timed span.
import { type ChildProcess, fork } from 'node:child_process'
import type { Adapter } from './adapters.ts'
import { anchorNodePath } from './runtime.ts'

export interface WorkerMessage {
  type: 'ready' | 'done' | 'started' | 'error' | 'log'
  processed?: number
  startedAt?: number
  finishedAt?: number
  peakRssKb?: number
  /** CPU time the worker used during the timed drain, µs. */
  cpuUs?: number
  rssKb?: number
  seq?: number
  at?: number
  /** Server clock (ms precision): when the job's insert and its claim ran. */
  insertAt?: number
  claimAt?: number
  message?: string
  summary?: unknown
}

export interface WorkerProc {
  child: ChildProcess
  ready: Promise<WorkerMessage>
  done: Promise<WorkerMessage>
  send(message: unknown): void
  onStarted(fn: (m: WorkerMessage) => void): void
  kill(): void
}

export function spawnWorker(
  adapter: Adapter,
  config: Record<string, unknown>,
  options: { log?: (m: string) => void } = {},
): WorkerProc {
  // Plain node, without the bench's own flags (tsx's loader): the bench's node, or Node 22
  // for the anchors whose releases need it.
  const child = fork(adapter.workerScript, [], {
    execPath: adapter.runtime === 'anchor' ? anchorNodePath() : process.execPath,
    execArgv: [],
    env: { ...process.env, BENCH_WORKER_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const started: ((m: WorkerMessage) => void)[] = []
  let resolveReady!: (m: WorkerMessage) => void
  let resolveDone!: (m: WorkerMessage) => void
  let fail!: (e: Error) => void
  const failed = new Promise<never>((_, reject) => (fail = reject))
  failed.catch(() => undefined)
  const ready = Promise.race([new Promise<WorkerMessage>((r) => (resolveReady = r)), failed])
  const done = Promise.race([new Promise<WorkerMessage>((r) => (resolveDone = r)), failed])
  ready.catch(() => undefined)
  done.catch(() => undefined)
  child.on('message', (m: WorkerMessage) => {
    if (m.type === 'ready') resolveReady(m)
    else if (m.type === 'done') resolveDone(m)
    else if (m.type === 'started') for (const fn of started) fn(m)
    else if (m.type === 'error') fail(new Error(`${adapter.name} worker failed: ${m.message}`))
    else if (m.type === 'log') options.log?.(`[${adapter.name} worker] ${m.message}`)
  })
  child.on('exit', (code, signal) => {
    fail(new Error(`${adapter.name} worker exited (code ${code}, signal ${signal}) before it was done`))
  })
  return {
    child,
    ready,
    done,
    send: (message) => child.send(message as never),
    onStarted: (fn) => started.push(fn),
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    },
  }
}

/** Resolves when the process has exited (after 'done' it disconnects and ends by itself). */
export function exited(proc: WorkerProc, timeoutMs = 10_000): Promise<void> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      proc.kill()
      resolve()
    }, timeoutMs)
    proc.child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms))),
  ])
}
