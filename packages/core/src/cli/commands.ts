// The pgq commands: their flags and help text, and each one's code loaded only when it runs,
// so `pgq --help` stays fast.
import { lazyPeer } from '../driver/peer.js'
import type { CliIo } from './context.js'

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
  summary: string
  /** Keyed by the flag's camelCase name (`databaseUrl` is `--database-url`). */
  options: Record<string, OptionSpec>
  // biome-ignore lint/suspicious/noExplicitAny: each command types its own flags
  run(flags: any, io: CliIo): Promise<number>
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
  {
    name: 'proxy',
    summary: "serve a WebSocket-to-Postgres proxy for Neon's serverless driver (runs until SIGTERM)",
    options: {
      databaseUrl: { type: 'string', placeholder: 'url', description: "allow this database's host:port (default: $DATABASE_URL)" },
      allow: { type: 'string', placeholder: 'host:port', multiple: true, description: 'also allow this target (repeatable)' },
      listen: { type: 'string', placeholder: 'host:port', default: '127.0.0.1:8080', description: 'where to listen; port 0 picks a free one' },
      maxConnections: { type: 'string', placeholder: 'n', default: '100', description: 'most sessions at once' },
      idleTimeout: { type: 'string', placeholder: 'duration', default: '5m', description: "close a session idle this long (ms or e.g. '5m')" },
      maxMessageSize: { type: 'string', placeholder: 'bytes', default: '64m', description: "largest WebSocket message once Postgres has accepted the login (bytes, or e.g. '512k', '64m')" },
      maxStartupMessageSize: { type: 'string', placeholder: 'bytes', default: '1m', description: 'largest message before that, and most bytes held while connecting to Postgres' },
    },
    run: async (flags, io) => (await loadProxy()).proxy(flags, io),
  },
]
