import { neonConfig } from '@neondatabase/serverless'

/**
 * Points Neon's driver at a `pgq proxy` (or any Neon-style WebSocket proxy) instead of Neon:
 * `ws://127.0.0.1:8080` locally, `wss://pg-proxy.example.com` behind TLS. Uses the runtime's
 * global WebSocket (Workers, Node 22+): no `ws` package.
 */
export function useWsProxy(proxyUrl: string): void {
  const url = new URL(proxyUrl)
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new Error(`PGQ_WS_PROXY must be a ws:// or wss:// URL, got ${url.protocol}`)
  const base = `${url.host}${url.pathname.replace(/\/+$/, '')}`
  neonConfig.wsProxy = (host, port) => `${base}/v2?address=${host}:${port}`
  neonConfig.useSecureWebSocket = url.protocol === 'wss:'
  // Startup pipelining only works with Neon's cleartext-password handshake.
  neonConfig.pipelineConnect = false
  // TLS, if any, is the WebSocket's (wss); the proxy forwards plain Postgres bytes.
  neonConfig.forceDisablePgSSL = true
  neonConfig.coalesceWrites = false
}
