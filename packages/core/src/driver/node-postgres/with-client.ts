import { ConfigurationError } from '../../errors.js'
import { loadNodePostgres } from './load.js'

/** The parts of a node-postgres `pg.Client` a task gets; `rows` typed by the caller. */
export interface PgClient {
  query<R extends Record<string, unknown> = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>
  escapeIdentifier(name: string): string
  escapeLiteral(text: string): string
}

/** Connection settings besides the URL (node-postgres `ClientConfig` fields). */
export interface PgClientSettings {
  application_name?: string
  connectionTimeoutMillis?: number
  statement_timeout?: number
  [setting: string]: unknown
}

/** One pg session for a task (migrations, admin queries), always closed so the process can exit. */
export async function withPgClient<T>(url: string, fn: (client: PgClient) => Promise<T>, settings: PgClientSettings = {}): Promise<T> {
  if (typeof url !== 'string' || url === '') throw new ConfigurationError('withPgClient needs a connection URL string')
  const { pg } = await loadNodePostgres()
  const client = new pg.Client({ ...settings, connectionString: url })
  client.on('error', () => undefined) // a dropped connection surfaces as a failed query instead
  await client.connect()
  try {
    return await fn(client as unknown as PgClient)
  } finally {
    await client.end().catch(() => undefined)
  }
}
