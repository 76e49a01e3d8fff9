import type { ListenerConnection, Row } from './driver.js'

type Notification = { channel: string; payload?: string }

/** The client shape node-postgres and Neon's driver share, connected outside any pool. */
export interface StandaloneClient {
  connect(): Promise<unknown>
  end(): Promise<void>
  query(text: string, params?: unknown[]): Promise<{ rows: Row[] }>
  on(event: 'notification', listener: (m: Notification) => void): unknown
  on(event: 'error' | 'end', listener: (e?: Error) => void): unknown
  off(event: 'notification', listener: (m: Notification) => void): unknown
  off(event: 'error' | 'end', listener: (e?: Error) => void): unknown
}

/** A connection of its own, for LISTEN: its notifications and its end, as events. */
export function standaloneConnection(client: StandaloneClient): ListenerConnection {
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
    close: () => client.end().catch(() => undefined),
  }
}
