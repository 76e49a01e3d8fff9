// Point Neon's serverless driver at a local WebSocket-to-TCP proxy (pgq proxy, src/proxy/ws-proxy.ts).
// Node only (tests and dev): Node 20 has no global WebSocket, so we hand the driver `ws`.
// Deliberately no `node:` imports, so this file bundles anywhere `ws` does.
import { type NeonConfigGlobalAndClient, neonConfig } from '@neondatabase/serverless'
import ws from 'ws'
import { wsProxySettings } from '../../src/driver/neon-serverless/ws-proxy.js'

/**
 * Configures the global `neonConfig` (default) or one client's `client.neonConfig`, so that
 * connections go to ws://<proxyHost>:<proxyPort>/v2?address=<host>:<port> without TLS.
 */
export function configureNeonForLocalProxy(
  proxyPort: number,
  options: { proxyHost?: string; target?: NeonConfigGlobalAndClient } = {},
): void {
  const proxyHost = options.proxyHost ?? '127.0.0.1'
  const cfg: NeonConfigGlobalAndClient = options.target ?? neonConfig
  cfg.webSocketConstructor = ws
  Object.assign(cfg, wsProxySettings(`ws://${proxyHost}:${proxyPort}`))
}
