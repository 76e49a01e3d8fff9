// The pgq commands: their flags and help text, and each one's code loaded only when it runs,
// so `pgq --help` stays fast.
import { lazyPeer } from '../driver/peer.js'
import type { CliIo } from './context.js'
import { operationsCommands } from './operations-commands.js'

export interface OptionSpec {
  type: 'string' | 'boolean'
  description: string
  /** Shown in the help as `--flag <placeholder>`. */
  placeholder?: string
  default?: string
  multiple?: boolean
}

export interface CommandSpec {
  name: string
  /** Other names the command answers to. */
  aliases?: string[]
  /** Its positional arguments as the help shows them ('<entrypoint> [payload]'); without it, none are taken. */
  args?: string
  summary: string
  /** Keyed by the flag's camelCase name (`databaseUrl` is `--database-url`). */
  options: Record<string, OptionSpec>
  // biome-ignore lint/suspicious/noExplicitAny: each command types its own flags
  run(flags: any, io: CliIo, args: string[]): Promise<number>
}

const connection: Record<string, OptionSpec> = {
  databaseUrl: { type: 'string', placeholder: 'url', description: 'PostgreSQL connection URL (default: $DATABASE_URL)' },
  schema: { type: 'string', placeholder: 'name', description: 'Postgres schema holding the queue (default: $PGQ_SCHEMA or "pgq")' },
}

const loadProxy = lazyPeer('ws', 'pgq proxy', () => import('./proxy.js'))

export const COMMANDS: CommandSpec[] = [
  {
    name: 'install',
    summary: 'install pgq into a schema that does not have it',
    options: connection,
    run: async (flags, io) => (await import('./install.js')).install(flags, io),
  },
  {
    name: 'upgrade',
    summary: 'apply pending migrations (safe to repeat)',
    options: connection,
    run: async (flags, io) => (await import('./upgrade.js')).upgrade(flags, io),
  },
  {
    name: 'verify',
    summary: 'list missing or altered pgq objects; exit 1 if any',
    options: connection,
    run: async (flags, io) => (await import('./verify.js')).verify(flags, io),
  },
  {
    name: 'uninstall',
    summary: 'drop the schema and all its jobs',
    options: { ...connection, yes: { type: 'boolean', description: 'really drop it' } },
    run: async (flags, io) => (await import('./uninstall.js')).uninstall(flags, io),
  },
  ...operationsCommands(connection),
  {
    name: 'prune',
    summary: 'apply retention once: delete expired log rows, held jobs and statistics in batches',
    options: {
      ...connection,
      // No defaults here: the library's (queue/retention.ts) apply, so the two cannot drift apart.
      successful: { type: 'string', placeholder: 'duration', description: "keep successful jobs' log rows this long (7d; 'false': forever)" },
      exception: { type: 'string', placeholder: 'duration', description: 'the same for exception and deleted jobs (30d)' },
      canceled: { type: 'string', placeholder: 'duration', description: 'the same for canceled jobs (30d)' },
      failures: { type: 'string', placeholder: 'duration', description: 'the same for failed attempts, retried and held (30d)' },
      heldJobs: { type: 'string', placeholder: 'duration', description: 'delete held jobs held longer than this (default: keep them)' },
      statistics: { type: 'string', placeholder: 'duration', description: 'keep statistics buckets this long (30d)' },
      timeBudget: { type: 'string', placeholder: 'duration', default: '5m', description: 'stop starting batches after this long (run again to go on)' },
      pace: { type: 'string', placeholder: 'n', description: 'after each batch wait n times as long as it took (3; 0: full speed, for a quiet hour)' },
    },
    run: async (flags, io) => (await import('./prune.js')).prune(flags, io),
  },
  {
    name: 'doctor',
    summary: 'check table health (held xmin horizon, dead tuples, stuck jobs, overdue schedules, schema version); exit 1 if unhealthy',
    options: {
      ...connection,
      lease: { type: 'string', placeholder: 'duration', default: '60s', description: 'a picked job without a heartbeat this long counts as stuck' },
      xminAge: { type: 'string', placeholder: 'duration', default: '5m', description: 'a transaction open this long counts as holding the xmin horizon' },
      vacuumGrace: { type: 'string', placeholder: 'duration', default: '10m', description: 'dead tuples past the limits fail only when the jobs table was not vacuumed this long' },
      json: { type: 'boolean', description: 'print the report as JSON' },
    },
    run: async (flags, io) => (await import('./doctor.js')).doctor(flags, io),
  },
  {
    name: 'dashboard',
    summary: 'a live view in the terminal: jobs by state per entrypoint, throughput, failure rate, recent failures (q quits)',
    options: {
      ...connection,
      interval: { type: 'string', placeholder: 'duration', default: '2s', description: 'redraw this often' },
      window: { type: 'string', placeholder: 'duration', default: '5m', description: 'throughput and failure rate over this long (whole minutes)' },
      failures: { type: 'string', placeholder: 'n', default: '5', description: 'list this many recent failures (0: none)' },
      once: { type: 'boolean', description: 'print one frame and exit (exit 1 if the database could not be read)' },
    },
    run: async (flags, io) => (await import('./dashboard/dashboard.js')).dashboard(flags, io),
  },
  {
    name: 'durability',
    summary: "show or set the durability level: durable (default), balanced (history unlogged) or volatile (jobs unlogged too)",
    options: {
      ...connection,
      level: { type: 'string', placeholder: 'durable|balanced|volatile', description: 'the level to set (takes an exclusive lock while the tables are rewritten); without it, print the current one' },
    },
    run: async (flags, io) => (await import('./durability.js')).durability(flags, io),
  },
  {
    name: 'proxy',
    summary: "serve a WebSocket-to-Postgres proxy for Neon's serverless driver (runs until SIGTERM)",
    options: {
      databaseUrl: { type: 'string', placeholder: 'url', description: "allow this database's host:port (default: $DATABASE_URL)" },
      allow: { type: 'string', placeholder: 'host:port', multiple: true, description: 'also allow this target (repeatable)' },
      listen: { type: 'string', placeholder: 'host:port', default: '127.0.0.1:8080', description: 'where to listen; port 0 picks a free one' },
      maxConnections: { type: 'string', placeholder: 'n', default: '100', description: 'most sessions at once' },
      idleTimeout: { type: 'string', placeholder: 'duration', default: '5m', description: "close a session idle this long (ms or e.g. '5m')" },
      loginTimeout: { type: 'string', placeholder: 'duration', default: '10s', description: 'close a session whose login Postgres has not accepted this long after it connected' },
      maxMessageSize: { type: 'string', placeholder: 'bytes', default: '64m', description: "largest WebSocket message once Postgres has accepted the login (bytes, or e.g. '512k', '64m')" },
      maxStartupMessageSize: { type: 'string', placeholder: 'bytes', default: '1m', description: 'largest message before that, and most bytes held while connecting to Postgres' },
    },
    run: async (flags, io) => (await loadProxy()).proxy(flags, io),
  },
]
