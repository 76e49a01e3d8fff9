import { ConfigurationError } from '../../errors.js'

/** The `neonConfig` fields that point Neon's driver at a Neon-style WebSocket proxy such as `pgq proxy`. */
export interface WsProxySettings {
  wsProxy: (host: string, port: number | string) => string
  useSecureWebSocket: boolean
  pipelineConnect: false
  forceDisablePgSSL: true
  coalesceWrites: false
}

/**
 * Settings for `Object.assign(neonConfig, wsProxySettings(url))`, to reach a self-hosted
 * Postgres through `pgq proxy`: `ws://127.0.0.1:8080` locally, `wss://pg-proxy.example.com`
 * behind a TLS-terminating reverse proxy. No import of Neon's driver: it stays the caller's.
 */
export function wsProxySettings(proxyUrl: string): WsProxySettings {
  let url: URL
  try {
    url = new URL(proxyUrl)
  } catch {
    throw new ConfigurationError('the WebSocket proxy must be a URL such as ws://127.0.0.1:8080 or wss://pg-proxy.example.com')
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new ConfigurationError(`the WebSocket proxy URL must start with ws:// or wss://, not ${url.protocol}//`)
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new ConfigurationError('the WebSocket proxy URL takes no query, fragment or credentials: Postgres authenticates each connection')
  }
  const base = `${url.host}${url.pathname.replace(/\/+$/, '')}`
  return {
    wsProxy: (host, port) => `${base}/v2?address=${host}:${port}`,
    useSecureWebSocket: url.protocol === 'wss:',
    // Startup pipelining only works with Neon's cleartext-password handshake.
    pipelineConnect: false,
    // TLS, if any, is the WebSocket's (wss); the proxy forwards plain Postgres bytes.
    forceDisablePgSSL: true,
    // The default batches writes behind a timer: about 1.2 ms a query instead of 0.1 ms.
    coalesceWrites: false,
  }
}
