import { PgqError } from '../errors.js'

export type ListenerUnavailableReason = 'no-delivery' | 'in-transaction'

/**
 * The listener's connection cannot receive notifications: it goes through a transaction-mode
 * pooler, or it sits inside a transaction. Polling still works; the fix is the connection string.
 */
export class ListenerUnavailableError extends PgqError {
  readonly reason: ListenerUnavailableReason
  constructor(reason: ListenerUnavailableReason, detail: string, options?: { cause?: unknown }) {
    super('PGQ_LISTENER_UNAVAILABLE', `${detail} ${FIX}`, options)
    this.reason = reason
  }
}

const FIX =
  'This happens behind a transaction-mode pooler (PgBouncer pool_mode=transaction, Neon\'s "-pooler" endpoint), ' +
  'which does not deliver notifications. Give the listener a direct (non-pooled) connection string: ' +
  'e.g. Neon\'s endpoint without "-pooler" in the host name, or PgBouncer with pool_mode=session.'
