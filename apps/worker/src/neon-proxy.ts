import { neonConfig } from '@neondatabase/serverless'
import { wsProxySettings } from '@pgq/core/neon-serverless'

/**
 * Points Neon's driver at a `pgq proxy` (or any Neon-style WebSocket proxy) instead of Neon.
 * Uses the runtime's global WebSocket (Workers, Node 22+): no `ws` package.
 */
export function useWsProxy(proxyUrl: string): void {
  Object.assign(neonConfig, wsProxySettings(proxyUrl))
}
