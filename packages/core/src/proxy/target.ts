// Which host:port a WebSocket upgrade asks for, and whether the allowlist has it.

export interface WsProxyTarget {
  host: string
  port: number
}

/** Reads host and port from `?address=host:port` on `/v2` or `/`. */
export function parseTarget(requestUrl: string | undefined): WsProxyTarget | { error: string } {
  let url: URL
  try {
    url = new URL(requestUrl ?? '/', 'ws://proxy.invalid')
  } catch {
    return { error: 'bad request URL' }
  }
  if (url.pathname !== '/v2' && url.pathname !== '/') return { error: 'unknown path' }
  const addresses = url.searchParams.getAll('address')
  if (addresses.length !== 1) return { error: 'expected exactly one address parameter' }
  const address = addresses[0] as string
  const colon = address.lastIndexOf(':')
  if (colon <= 0) return { error: 'address must be host:port' }
  const host = stripBrackets(address.slice(0, colon))
  const portText = address.slice(colon + 1)
  // Digits only: Number() would accept '0x1f', ' 5432', '5e3'.
  if (!/^[0-9]{1,5}$/.test(portText)) return { error: 'bad port in address' }
  const port = Number(portText)
  if (port < 1 || port > 65535 || host === '' || /[\s/@]/.test(host)) {
    return { error: 'bad address' }
  }
  return { host, port }
}

export function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
}

/**
 * Literal comparison, only lower-cased (DNS names are case-insensitive). `localhost`,
 * `127.0.0.1`, `127.1` and `::1` are different entries on purpose: allow what is listed.
 */
export function targetKey(host: string, port: number): string {
  return `${host.toLowerCase()}|${port}`
}
