import { withPgClient } from '../driver/node-postgres/with-client.js'
import { ConfigurationError } from '../errors.js'
import type { Queryable as SqlConnection } from '../driver/driver.js'
import { printable } from '../validation/text.js'
import { schemaName } from '../schema/schema-name.js'

/** Where the CLI reads settings and writes output; tests pass their own. */
export interface CliIo {
  stdout: (text: string) => void
  stderr: (text: string) => void
  env: Record<string, string | undefined>
  /** All of standard input as text (for `-` arguments); absent: there is none to read. */
  stdin?: () => Promise<string>
}

export const processIo = (): CliIo => ({
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  stdin: async () => {
    let text = ''
    process.stdin.setEncoding('utf8')
    for await (const chunk of process.stdin) text += chunk
    return text
  },
})

/** The invocation itself is wrong (missing setting, bad flag): exit code 2, nothing was touched. */
export class UsageError extends Error {}

export interface ConnectionFlags {
  databaseUrl?: string
  schema?: string
}

/** Resolves flags, then env, then defaults; checks the URL and the schema name before connecting. */
export function resolveConnection(flags: ConnectionFlags, io: CliIo): { url: string; schema: string } {
  const url = flags.databaseUrl || io.env.DATABASE_URL
  if (!url) throw new UsageError('no database to connect to: pass --database-url <url> or set DATABASE_URL')
  checkDatabaseUrl(url, flags.databaseUrl ? '--database-url' : 'DATABASE_URL')
  try {
    return { url, schema: schemaName(schemaSetting(flags, io)) }
  } catch (error) {
    if (error instanceof ConfigurationError) throw new UsageError(error.message)
    throw error
  }
}

/** --schema, else $PGQ_SCHEMA, else undefined (the default); an empty one is a mistake, not the default. */
export function schemaSetting(flags: ConnectionFlags, io: CliIo): string | undefined {
  if (flags.schema === '') throw new UsageError('--schema must not be empty: pass a schema name, or leave the flag out for the default "pgq"')
  if (flags.schema === undefined && io.env.PGQ_SCHEMA === '') throw new UsageError('PGQ_SCHEMA is set but empty: set it to a schema name, or unset it for the default "pgq"')
  return flags.schema ?? io.env.PGQ_SCHEMA
}

/**
 * A postgres:// or postgresql:// URL that node-postgres reads as written: it takes any text
 * ('not a url' becomes host "base") and fails late on a bad port. Never quotes the URL: it
 * may hold a password.
 */
export function checkDatabaseUrl(url: string, source: string): void {
  const example = 'e.g. postgresql://user@host:5432/db, or postgresql:///db?host=/var/run/postgresql for a unix socket'
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]
  if (!scheme) throw new UsageError(`${source} must be a postgresql:// URL (${example}), got text that is not one`)
  if (!/^postgres(ql)?$/i.test(scheme)) throw new UsageError(`${source} must be a postgresql:// URL (${example}), got a ${scheme.slice(0, 20)}:// one`)
  // As pg-connection-string parses it: spaces and stray % encoded, an empty host after '@' allowed.
  const text = / |%[^a-f0-9]|%[a-f0-9][^a-f0-9]/i.test(url) ? encodeURI(url).replace(/%25(\d\d)/g, '%$1') : url
  if (!URL.canParse(text) && !URL.canParse(text.replace('@/', '@___DUMMY___/'))) {
    throw new UsageError(`${source} is not a valid URL: check its host and port (a number up to 65535), and %-encode special characters in the password`)
  }
}

/** Opens one pg session for a command and always closes it, so the process can exit. */
export async function withClient<T>(url: string, fn: (conn: SqlConnection) => Promise<T>): Promise<T> {
  let connected = false
  try {
    const settings = { application_name: 'pgq-cli', connectionTimeoutMillis: 15_000 }
    return await withPgClient(
      url,
      (client) => {
        connected = true
        return fn(client)
      },
      settings,
    )
  } catch (error) {
    // Never echo the URL: it may hold a password.
    if (!connected) throw new Error(`could not connect to the database: ${describeError(error)}`)
    throw error
  }
}

/** One line, no stack: enough to act on. */
export function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return describeError(error.errors[0])
  if (error instanceof Error) {
    const text = error.message || (error as { code?: string }).code || error.name
    return text.split('\n')[0] ?? text
  }
  return String(error)
}

/** One line of output; text from the database or a handler cannot drive the terminal (see printable). */
export const line = (write: (text: string) => void, text: string) => write(`${printable(text)}\n`)
