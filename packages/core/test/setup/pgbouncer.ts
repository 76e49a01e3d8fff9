// A throwaway PgBouncer (Debian's /usr/sbin/pgbouncer) in front of a test server, to test
// behaviour behind a pooler. PgBouncer refuses to run as root, so as root it drops to the
// `postgres` OS user (-u), and its files live in a temp dir that user owns.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { constants as fsConstants } from 'node:fs'
import fs from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { findFreePort } from '@pgq/embedded'

export const PGBOUNCER_BIN = '/usr/sbin/pgbouncer'
const RUN_AS = 'postgres'

export interface PgBouncer {
  /** targetUrl with host and port swapped for PgBouncer's. */
  url: string
  port: number
  stop(): Promise<void>
}

type PgBouncerOptions = { targetUrl: string; poolMode: 'transaction' | 'session' }

/** Starts one; when another process took the free port first (pgbouncer exits), on another. */
export async function startPgBouncer(opts: PgBouncerOptions): Promise<PgBouncer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startPgBouncerOnce(opts)
    } catch (err) {
      if (attempt >= 3 || !String((err as Error).message).includes('pgbouncer exited')) throw err
    }
  }
}

async function startPgBouncerOnce(opts: PgBouncerOptions): Promise<PgBouncer> {
  await fs.access(PGBOUNCER_BIN, fsConstants.X_OK).catch(() => {
    throw new Error(
      `pgbouncer is not installed (${PGBOUNCER_BIN} missing): run \`apt-get update && apt-get install -y pgbouncer\` (CI installs it the same way)`,
    )
  })
  const target = new URL(opts.targetUrl)
  const user = decodeURIComponent(target.username || 'postgres')
  const password = decodeURIComponent(target.password)
  const port = await findFreePort()
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgq-pgbouncer-'))
  const asRoot = process.getuid?.() === 0

  const ini = [
    '[databases]',
    // Any database name the client asks for, on the target server.
    `* = host=${target.hostname.replace(/^\[|\]$/g, '')} port=${target.port || 5432}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    // Clients are trusted on loopback; the auth file holds the password for the server login.
    'auth_type = trust',
    `auth_file = ${path.join(dir, 'userlist.txt')}`,
    `pool_mode = ${opts.poolMode}`,
    'max_client_conn = 200',
    'default_pool_size = 10',
    'ignore_startup_parameters = extra_float_digits,options',
    `logfile = ${path.join(dir, 'pgbouncer.log')}`,
    `pidfile = ${path.join(dir, 'pgbouncer.pid')}`,
    '',
  ].join('\n')
  const quote = (s: string) => `"${s.replaceAll('"', '""')}"`
  await fs.writeFile(path.join(dir, 'pgbouncer.ini'), ini, { mode: 0o600 })
  await fs.writeFile(path.join(dir, 'userlist.txt'), `${quote(user)} ${quote(password)}\n`, { mode: 0o600 })
  if (asRoot) execFileSync('chown', ['-R', `${RUN_AS}:`, dir])

  const child = spawn(PGBOUNCER_BIN, [...(asRoot ? ['-u', RUN_AS] : []), path.join(dir, 'pgbouncer.ini')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))

  const readLog = () => fs.readFile(path.join(dir, 'pgbouncer.log'), 'utf8').catch(() => '')
  const cleanup = async () => {
    await stopChild(child, exited)
    await fs.rm(dir, { recursive: true, force: true })
  }
  try {
    await waitForPort(port, exited, 10_000)
  } catch (err) {
    const log = await readLog()
    await cleanup()
    throw new Error(`pgbouncer did not start: ${(err as Error).message}\n${stderr}${log}`)
  }

  const url = new URL(opts.targetUrl)
  url.hostname = '127.0.0.1'
  url.port = String(port)
  let stopped: Promise<void> | undefined
  return { url: url.toString(), port, stop: () => (stopped ??= cleanup()) }
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  // SIGTERM: immediate shutdown (SIGINT would wait for clients).
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
  await exited
  clearTimeout(timer)
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port. */
async function waitForPort(port: number, exited: Promise<number | null>, timeoutMs: number): Promise<void> {
  let exitCode: number | null | undefined
  void exited.then((c) => (exitCode = c))
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (exitCode !== undefined) throw new Error(`pgbouncer exited with code ${exitCode}`)
    if (await canConnect(port)) return
    if (Date.now() > deadline) throw new Error(`nothing listening on port ${port} after ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}
