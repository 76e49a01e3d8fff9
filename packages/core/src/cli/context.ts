import { withPgClient } from '../driver/node-postgres/with-client.js'
import { ConfigurationError } from '../errors.js'
import type { Queryable as SqlConnection } from '../driver/driver.js'
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

/** Resolves flags, then env, then defaults; checks the schema name before connecting. */
export function resolveConnection(flags: ConnectionFlags, io: CliIo): { url: string; schema: string } {
  const url = flags.databaseUrl || io.env.DATABASE_URL
  if (!url) throw new UsageError('no database to connect to: pass --database-url <url> or set DATABASE_URL')
  try {
    return { url, schema: schemaName(flags.schema || io.env.PGQ_SCHEMA || undefined) }
  } catch (error) {
    if (error instanceof ConfigurationError) throw new UsageError(error.message)
    throw error
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

export const line = (write: (text: string) => void, text: string) => write(`${text}\n`)
