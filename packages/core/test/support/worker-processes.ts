// Worker fixtures (test/fixtures/*.ts) run as child processes: spawned with a JSON config in
// argv[2], ready once they print {"ready":true,"workerId":...}, killed at the end of a test.
// The same protocol as processes.test.ts's worker-process.ts.
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const CORE_DIR = fileURLToPath(new URL('../..', import.meta.url))

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
  at: number
}

export interface WorkerProcess {
  child: ChildProcess
  pid: number
  /** Resolves with the worker id once it printed its ready line; rejects if it exits first or takes over 30 s. */
  ready: Promise<string>
  exited: Promise<Exit>
  output(): string
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Starts `fixture` (a path) under tsx with `config` as JSON; adds it to `children`. */
export function spawnWorkerProcess(fixture: string, config: object, children: Set<WorkerProcess>): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, JSON.stringify(config)], { cwd: CORE_DIR, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })))
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker ${child.pid} not ready after 30 s:\n${stderr}`)), 30_000)
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
      for (const l of stdout.split('\n')) {
        if (!l.startsWith('{')) continue
        try {
          const msg = JSON.parse(l) as { ready?: boolean; workerId?: string }
          if (msg.ready) {
            clearTimeout(timer)
            resolve(msg.workerId!)
          }
        } catch {}
      }
    })
    void exited.then((e) => {
      clearTimeout(timer)
      reject(new Error(`worker ${child.pid} exited (${e.code ?? e.signal}) before it was ready:\n${stderr}`))
    })
  })
  ready.catch(() => undefined)
  const w: WorkerProcess = { child, pid: child.pid!, ready, exited, output: () => `--- stdout\n${stdout}--- stderr\n${stderr}` }
  children.add(w)
  return w
}

export const isAlive = (w: WorkerProcess) => w.child.exitCode === null && w.child.signalCode === null

/** SIGKILLs every child still running and waits (5 s at most each) for them to exit. */
export async function killAll(children: Set<WorkerProcess>): Promise<void> {
  const all = [...children]
  children.clear()
  for (const w of all) if (isAlive(w)) w.child.kill('SIGKILL')
  await Promise.all(all.map((w) => Promise.race([w.exited, sleep(5000)])))
}

/** Resolves with the exit, or fails if it takes longer than timeoutMs. */
export async function exitWithin(w: WorkerProcess, timeoutMs: number): Promise<Exit> {
  const r = await Promise.race([w.exited, sleep(timeoutMs).then(() => undefined)])
  if (!r) throw new Error(`worker ${w.pid} still running ${timeoutMs} ms later:\n${w.output()}`)
  return r
}

/** Polls until `check` is true; fails with `what` (and the last value) after timeoutMs. */
export async function waitUntil<T>(what: string, probe: () => Promise<T>, check: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await probe()
    if (check(v)) return v
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(v)})`)
    await sleep(20)
  }
}
