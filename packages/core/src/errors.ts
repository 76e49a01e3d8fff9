/** Base class of every error pgq throws on purpose; `code` is stable for programs to match. */
export class PgqError extends Error {
  readonly code: string
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

/** Input to an operation was wrong; nothing was written. The message names the place, not the data. */
export class InvalidJobError extends PgqError {
  /** Position in the batch of the offending job, when the input was a batch. */
  readonly index: number | undefined
  /** The offending input as a path, e.g. 'payload.items[3].name', 'headers.trace', 'runAt', 'jobs'. */
  readonly field: string | undefined
  /** The message without its `job #N: ` prefix. */
  readonly detail: string
  /** Job ids the error is about: the dependsOn ids that name no job. */
  readonly jobIds: readonly number[] | undefined
  constructor(message: string, index?: number, field?: string, options?: { jobIds?: readonly number[] }) {
    super('PGQ_INVALID_JOB', index === undefined ? message : `job #${index}: ${message}`)
    this.index = index
    this.field = field
    this.detail = message
    this.jobIds = options?.jobIds
  }

  /** The same error about the job at `index` (of a larger batch), or about `field` instead. */
  at(index: number, field = this.field): InvalidJobError {
    return new InvalidJobError(this.detail, index, field, { jobIds: this.jobIds })
  }
}

/** A dedupe key is already held by a queued or running job; the whole batch was rejected. */
export class DuplicateJobError extends PgqError {
  readonly dedupeKeys: string[]
  constructor(dedupeKeys: string[], options?: { cause?: unknown }) {
    super(
      'PGQ_DUPLICATE_JOB',
      `dedupe key(s) already held by a queued or running job: ${dedupeKeys.join(', ')}. ` +
        `Nothing was enqueued; pass { onConflict: 'skip' } to enqueue the rest and get null for these.`,
      options,
    )
    this.dedupeKeys = dedupeKeys
  }
}

/** The database's pgq schema is missing or older than this code. */
export class SchemaOutdatedError extends PgqError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super('PGQ_SCHEMA_OUTDATED', `${detail}. Run \`pgq upgrade\` (or \`pgq install\` on a new database).`, options)
  }
}

/**
 * PostgreSQL could not be reached, or dropped the connection: down, restarting, out of
 * connections, or the network in between. Transient: the call may be retried. An enqueue
 * whose answer was lost may have committed; a dedupe key makes its retry safe.
 */
export class DatabaseUnavailableError extends PgqError {
  /** What the driver reported: a Node error code (ECONNREFUSED), an SQLSTATE (57P03, 55000), 'connect timeout' or 'connection lost'. */
  readonly reason: string
  constructor(reason: string, options?: { cause?: unknown }) {
    super(
      'PGQ_DATABASE_UNAVAILABLE',
      `PostgreSQL is unavailable (${reason}). ${
        // An SQLSTATE the server sent (not an errno such as EPIPE, nor class 08, the client's own connection failure).
        /^(?!08)[0-9][0-9A-Z]{4}$/.test(reason)
          ? 'The server answered but is not taking this session now (shutting down or starting up, out of connections, or not accepting connections to this database)'
          : "Check that the server is up and reachable at the connection string's host and port"
      }; the call may be retried.`,
      options,
    )
    this.reason = reason
  }
}

/**
 * PostgreSQL refused the connection for a reason waiting will not mend: a wrong password,
 * an unknown or locked-out role, a database that does not exist. Not retried: the
 * connection string (or the server's grants) must change.
 */
export class DatabaseAccessError extends PgqError {
  /** The server's SQLSTATE (28P01 wrong password, 28000 role refused, 3D000 no such database), 'no password' or 'no ssl'. */
  readonly reason: string
  constructor(reason: string, detail: string, options?: { cause?: unknown }) {
    super(
      'PGQ_DATABASE_ACCESS',
      `PostgreSQL refused the connection (${reason}: ${detail}). Check the connection string's user, password and database name; retrying will not help.`,
      options,
    )
    this.reason = reason
  }
}

/**
 * PostgreSQL rolled the transaction back to break a deadlock, or for a serialization failure
 * (SQLSTATE 40P01, 40001): nothing it did was kept, and running it again will most likely
 * succeed. pgq retries its own transactions; one of yours (`{ tx }`) is yours to run again.
 */
export class TransactionConflictError extends PgqError {
  /** The SQLSTATE: 40P01 (deadlock) or 40001 (serialization failure). */
  readonly reason: string
  constructor(reason: string, options?: { cause?: unknown }) {
    super('PGQ_TRANSACTION_CONFLICT', `PostgreSQL rolled the transaction back (${reason}: ${reason === '40P01' ? 'a deadlock' : 'a serialization failure'}); nothing was kept: run it again.`, options)
    this.reason = reason
  }
}

/** A setting passed to pgq is invalid. */
export class ConfigurationError extends PgqError {
  /** The option at fault, where the check knows one (`timeBudget`, `backoff.base`, an unknown option's name). */
  readonly field: string | undefined
  constructor(message: string, options?: { field?: string }) {
    super('PGQ_CONFIGURATION', message)
    this.field = options?.field
  }
}

/** An optional peer dependency pgq needs for what was asked is not installed. */
export class MissingDependencyError extends PgqError {
  readonly packageName: string
  constructor(packageName: string, neededBy: string, options?: { cause?: unknown }) {
    super('PGQ_MISSING_DEPENDENCY', `${neededBy} needs the package "${packageName}", which is not installed: npm install ${packageName}`, options)
    this.packageName = packageName
  }
}
