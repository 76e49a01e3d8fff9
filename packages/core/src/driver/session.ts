import type { Session } from './driver.js'

type Notification = { channel: string; payload?: string }

/** The client shape node-postgres and Neon's driver share. */
interface ClientLike {
  query(text: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>
  on(event: 'notification', listener: (m: Notification) => void): unknown
  on(event: 'error' | 'end', listener: (e?: Error) => void): unknown
  off(event: 'notification', listener: (m: Notification) => void): unknown
  off(event: 'error' | 'end', listener: (e?: Error) => void): unknown
}

function wrap(client: ClientLike, release: () => Promise<void>): Session {
  return {
    query: (text, params) => client.query(text, params),
    onNotification(listener) {
      const handler = (m: Notification) => listener(m.channel, m.payload ?? '')
      client.on('notification', handler)
      return () => void client.off('notification', handler)
    },
    onClose(listener) {
      const onError = (e?: Error) => listener(e ?? new Error('connection closed'))
      const onEnd = () => listener(new Error('connection ended'))
      client.on('error', onError)
      client.on('end', onEnd)
      return () => {
        client.off('error', onError)
        client.off('end', onEnd)
      }
    },
    release,
  }
}

/** A client checked out of a pool. It may have LISTENed, so it is destroyed, not reused. */
export function pooledSession(client: ClientLike & { release(destroy?: boolean): void }): Session {
  return wrap(client, async () => client.release(true))
}

/** A connection of its own, outside any pool (the listener's). */
export function standaloneSession(client: ClientLike & { end(): Promise<void> }): Session {
  return wrap(client, () => client.end().catch(() => undefined))
}
