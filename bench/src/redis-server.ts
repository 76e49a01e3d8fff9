// The bench's own redis-server processes for the BullMQ rows, each on a free port in a temp
// dir, stopped at the end: one with the persistence BullMQ's production guide asks for (AOF,
// fsync every second, noeviction), one that keeps nothing on disk. Neither depends on a Redis
// the machine may run.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { findFreePort } from '@pgq/embedded'
import { Redis } from 'ioredis'
import { withTimeout } from './procs.ts'
import { processTreeCpuUs } from './server.ts'

export type RedisPersistence = 'aof' | 'none'

export interface RedisServer {
  persistence: RedisPersistence
  url: string
  port: number
  pid: number
  version: string
  /** The command-line settings it was started with (printed with the results). */
  args: string[]
  /** CPU time (user + system, µs) of redis-server and its reaped forks (BGSAVE, AOF rewrite). */
  cpuUs(): number | undefined
  /** FLUSHALL: each drain starts from an empty server. */
  flush(): Promise<void>
  /** Waits until no background save or AOF rewrite is running (the CHECKPOINT of Redis). */
  settle(): Promise<void>
  stop(): Promise<void>
}

/** PGQ_BENCH_REDIS_SERVER, else redis-server on PATH or in /usr/bin. */
export function redisServerBinary(): string | { reason: string } {
  const explicit = process.env.PGQ_BENCH_REDIS_SERVER
  const candidates = explicit ? [explicit] : [...(process.env.PATH ?? '').split(path.delimiter).map((d) => d && path.join(d, 'redis-server')), '/usr/bin/redis-server']
  for (const file of candidates) {
    if (!file) continue
    try {
      accessSync(file, constants.X_OK)
      return file
    } catch {
      // next
    }
  }
  return { reason: explicit ? `PGQ_BENCH_REDIS_SERVER=${explicit} is not an executable` : 'redis-server not found (install redis-server, or set PGQ_BENCH_REDIS_SERVER)' }
}

/** The settings of each kind; everything else is redis-server's default (RDB snapshots included for 'aof'). */
export const REDIS_SETTINGS: Record<RedisPersistence, string[]> = {
  aof: ['--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction'],
  none: ['--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'],
}

export async function startRedisServer(binary: string, persistence: RedisPersistence): Promise<RedisServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `pgq-bench-redis-${persistence}-`))
  const port = await findFreePort()
  const args = REDIS_SETTINGS[persistence]
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--daemonize', 'no', '--logfile', '', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const stopSync = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
  process.once('exit', stopSync)
  try {
    await withTimeout(ready(child), 15_000, `redis-server (${persistence}) on port ${port} to accept connections`)
  } catch (error) {
    stopSync()
    throw error
  }
  const url = `redis://127.0.0.1:${port}`
  const client = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true })
  await client.connect()
  const version = execFileSync(binary, ['--version'], { encoding: 'utf8' }).match(/v=(\S+)/)?.[1] ?? 'unknown'
  return {
    persistence,
    url,
    port,
    pid: child.pid!,
    version,
    args,
    cpuUs: () => processTreeCpuUs(child.pid!),
    flush: async () => void (await client.flushall()),
    async settle() {
      const deadline = Date.now() + 60_000
      for (;;) {
        const info = await client.info('persistence')
        if (!/rdb_bgsave_in_progress:1|aof_rewrite_in_progress:1|aof_rewrite_scheduled:1/.test(info)) return
        if (Date.now() > deadline) throw new Error(`redis-server (${persistence}): a background save or AOF rewrite ran for more than 60 s`)
        await new Promise((r) => setTimeout(r, 50)) // no event to wait on: INFO is the only signal
      }
    },
    async stop() {
      client.disconnect()
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r))
        child.kill('SIGTERM')
        await withTimeout(exited, 10_000, `redis-server (${persistence}) to exit`).catch(() => child.kill('SIGKILL'))
      }
      process.off('exit', stopSync)
      stopSync()
    },
  }
}

/** Resolves on redis-server's "Ready to accept connections" line; rejects if it exits first. */
function ready(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = ''
    const onData = (d: Buffer) => {
      output = (output + d.toString()).slice(-4000) // keep draining the pipe, remember the tail
      if (/Ready to accept connections/.test(output)) resolve()
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', (code) => reject(new Error(`redis-server exited (code ${code}) before it was ready:\n${output.slice(-2000)}`)))
  })
}
