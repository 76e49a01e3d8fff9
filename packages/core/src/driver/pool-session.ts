import type { Session } from './driver.js'

/** The client shape node-postgres and Neon's driver share. */
interface PoolClientLike {
  query(text: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>
  on(event: 'notification', listener: (m: { channel: string; payload?: string }) => void): unknown
  off(event: 'notification', listener: (m: { channel: string; payload?: string }) => void): unknown
  release(destroy?: boolean): void
}

/** Wraps a checked-out pool client as a Session (both drivers use it). */
export function poolSession(client: PoolClientLike): Session {
  return {
    query: (text, params) => client.query(text, params),
    onNotification(listener) {
      const handler = (m: { channel: string; payload?: string }) => listener(m.channel, m.payload ?? '')
      client.on('notification', handler)
      return () => void client.off('notification', handler)
    },
    // A session may have LISTENed: destroy it rather than hand it to the next user.
    release: async () => client.release(true),
  }
}
