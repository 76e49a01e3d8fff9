import { type SQL, sql } from './template.js'

/** LISTEN on the queue's channel, quoted so it keeps the exact name pg_notify uses. */
export function listenOn(channel: string): SQL {
  return sql.raw(`LISTEN "${channel.replaceAll('"', '""')}"`)
}

/** A ping event the listener waits to hear back: proof that notifications arrive. */
export function notifyPing(channel: string, id: string): SQL {
  return sql`select pg_notify(${channel}, ${JSON.stringify({ type: 'ping', id })})`
}

/** In a transaction block, now() is the BEGIN's time; in autocommit it is this statement's. */
export const inAutocommit: SQL = sql`select now() = statement_timestamp() as autocommit`
