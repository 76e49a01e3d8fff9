import { ConfigurationError, DatabaseAccessError, DatabaseUnavailableError, DuplicateJobError, InvalidJobError, PgqError, SchemaOutdatedError, TransactionConflictError } from '../errors.js'

interface PgErrorFields {
  code?: string
  constraint?: string
  detail?: string
  message?: string
}

// Missing relation, column, function, type or schema: the database is behind this code.
const MISSING_OBJECT = new Set(['42P01', '42703', '42883', '42704', '3F000'])

function pgFields(error: unknown): PgErrorFields | undefined {
  for (let e = error as { cause?: unknown } | undefined, depth = 0; e && depth < 4; depth++) {
    if (typeof (e as PgErrorFields).code === 'string' && /^[0-9A-Z]{5}$/.test((e as PgErrorFields).code!)) {
      return e as PgErrorFields
    }
    e = e.cause as typeof e
  }
  return undefined
}

// Connection exceptions (class 08), shutdown, restart, no connections left.
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300'])
// Node's socket and DNS errors, as the pg drivers pass them on (or an AggregateError of them).
const UNAVAILABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'])
// What node-postgres (and Neon's copy of it) and pg-pool say, without a code, when a connection goes or never comes.
const CONNECTION_LOST = /^(Connection terminated|Client has encountered a connection error|Client was closed and is not queryable)/

/**
 * A FATAL error ends the session: at login, a database not accepting connections (55000 after
 * ALTER DATABASE ... ALLOW_CONNECTIONS false), later an idle timeout (25P03, 57P05). Waiting
 * may mend it, unlike a login refused for its credentials (class 28, 3D000: DatabaseAccessError).
 */
function endedSession(code: string, severity: unknown): boolean {
  return (severity === 'FATAL' || severity === 'PANIC') && /^[0-9A-Z]{5}$/.test(code) && !ACCESS_STATES.test(code)
}

// The driver's connectTimeout passed: node-postgres's client, or pg-pool waiting for one.
const CONNECT_TIMEOUT = /^(Connection terminated due to connection timeout|timeout exceeded when trying to connect)/

// Neon's driver when no WebSocket it tried could even be made (Node 20 has no global WebSocket).
const NO_WEBSOCKET = /^All attempts to open a WebSocket/
// What ws says when the WebSocket endpoint (Neon's, or a local proxy) answers with an HTTP status instead of upgrading.
const WEBSOCKET_REFUSED = /^Unexpected server response: (\d{3})/

/**
 * Why the database is unreachable, when that is what `error` says (a reason for
 * DatabaseUnavailableError). Neon's driver over ws rejects with a WebSocket ErrorEvent, not an
 * Error: its socket error is its `error`.
 */
function unavailableReason(error: unknown): string | undefined {
  for (let e = error as { cause?: unknown; errors?: unknown[]; error?: unknown } | undefined, depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && (UNAVAILABLE_ERRNOS.has(code) || UNAVAILABLE_STATES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return code
    if (typeof code === 'string' && endedSession(code, (e as { severity?: unknown }).severity)) return code
    const message = (e as { message?: unknown }).message
    if (typeof message === 'string' && CONNECT_TIMEOUT.test(message)) return 'connect timeout'
    if (typeof message === 'string' && CONNECTION_LOST.test(message)) return 'connection lost'
    const refused = typeof message === 'string' ? WEBSOCKET_REFUSED.exec(message) : null
    if (refused) return `WebSocket ${refused[1]}`
    e = (e.cause ?? e.errors?.[0] ?? (e.error !== e ? e.error : undefined)) as typeof e
  }
  // Any other WebSocket error event: the socket to the database failed (and it is no Error a framework would handle).
  const event = error as { type?: unknown; target?: unknown } | null
  if (typeof event === 'object' && event !== null && !(error instanceof Error) && event.type === 'error' && event.target !== undefined) return 'WebSocket error'
  return undefined
}

// Refused at login, for good: authentication (class 28) and a database that does not exist.
const ACCESS_STATES = /^(28[0-9A-Z]{3}|3D000)$/
// node-postgres's own words when the server asks for a password and none was given.
const NO_PASSWORD = /client password must be a string/
// ...and when sslmode=require meets a server without TLS.
const NO_SSL = /^The server does not support SSL connections/

/** Maps Postgres errors with a meaning for pgq users to typed errors; others pass through. */
export function translateError(error: unknown): unknown {
  // Already translated (the executor's, then the worker's look): its cause must not be wrapped again.
  if (error instanceof PgqError) return error
  const message = (error as { message?: unknown } | null)?.message
  if (typeof message === 'string' && NO_WEBSOCKET.test(message) && typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'undefined') {
    return new ConfigurationError('the Neon driver has no WebSocket to connect with: on Node 20 (no global WebSocket), npm install ws and set neonConfig.webSocketConstructor = ws')
  }
  const reason = unavailableReason(error)
  if (reason) return new DatabaseUnavailableError(reason, { cause: error })
  const pg = pgFields(error)
  if (!pg) {
    if (typeof message === 'string' && NO_SSL.test(message)) {
      return new DatabaseAccessError('no ssl', 'the server does not accept TLS and the connection string asks for it (sslmode=require or ssl=true)', { cause: error })
    }
    return typeof message === 'string' && NO_PASSWORD.test(message) ? new DatabaseAccessError('no password', 'the server asks for a password and the connection string has none', { cause: error }) : error
  }
  if (pg.code && ACCESS_STATES.test(pg.code)) return new DatabaseAccessError(pg.code, pg.message ?? 'refused', { cause: error })
  if (pg.code === 'PQ001') {
    return new DuplicateJobError(JSON.parse(pg.detail ?? '[]') as string[], { cause: error })
  }
  if (pg.code === 'PQ002') {
    const ids = JSON.parse(pg.detail ?? '[]') as number[]
    return new InvalidJobError(`dependsOn names job(s) that do not exist: ${ids.join(', ')}; a job can depend only on jobs already enqueued`, undefined, 'dependsOn', { jobIds: ids })
  }
  if (pg.code === '23505' && pg.constraint === 'jobs_dedupe_key_idx') {
    const key = /\(dedupe_key\)=\((.*)\) already exists/.exec(pg.detail ?? '')?.[1]
    return new DuplicateJobError(key === undefined ? [] : [key], { cause: error })
  }
  if (pg.code === '40P01' || pg.code === '40001') return new TransactionConflictError(pg.code, { cause: error })
  if (pg.code && MISSING_OBJECT.has(pg.code)) {
    return new SchemaOutdatedError(`the pgq schema is missing an object (${pg.message})`, { cause: error })
  }
  return error
}
