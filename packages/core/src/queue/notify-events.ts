// The JSON events pgq sends on `<schema>_events`, written only by the SQL functions
// notify_insert and notify_ids (drizzle/0004_fleet_claim_and_events.sql), which keep each
// under NOTIFY's 8000-byte limit. Payloads come from the database and other processes, so
// parsing trusts nothing.

export type QueueNotification =
  /** Jobs were enqueued (or requeued, or resumed): how many per entrypoint, or 'all' when that list would not fit. */
  | { type: 'insert'; entrypoints: Record<string, number> | 'all' }
  /** These jobs were canceled; their workers should stop them. */
  | { type: 'cancel'; ids: number[] }
  /** These jobs finished; with status, all of them ended so (successes say so: they may have no log row). */
  | { type: 'done'; ids: number[]; status?: 'successful' }
  /** A heartbeat wrote new progress of these running jobs; read it with status(). */
  | { type: 'progress'; ids: number[] }
  /** A listener's delivery probe (see listener.ts). */
  | { type: 'ping'; id: string }

/** The event in `payload`, or null when it is not valid JSON or not a known, well-formed event. */
export function parseNotification(payload: string): QueueNotification | null {
  let value: unknown
  try {
    value = JSON.parse(payload)
  } catch {
    return null
  }
  if (!isObject(value)) return null
  switch (value.type) {
    case 'insert': {
      const entrypoints = value.entrypoints
      if (entrypoints === null) return { type: 'insert', entrypoints: 'all' }
      if (!isObject(entrypoints)) return null
      const counts: Record<string, number> = {}
      for (const [name, n] of Object.entries(entrypoints)) {
        if (!Number.isSafeInteger(n) || (n as number) < 0) return null
        counts[name] = n as number
      }
      return { type: 'insert', entrypoints: counts }
    }
    case 'cancel':
    case 'progress':
    case 'done': {
      const ids = value.ids
      if (!Array.isArray(ids) || !ids.every((id) => Number.isSafeInteger(id) && id > 0)) return null
      if (value.type !== 'done' || value.status === undefined) return { type: value.type, ids: ids as number[] }
      return value.status === 'successful' ? { type: 'done', ids: ids as number[], status: 'successful' } : null
    }
    case 'ping':
      return typeof value.id === 'string' && value.id !== '' ? { type: 'ping', id: value.id } : null
    default:
      return null
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
