// WebSocket-to-TCP proxy (Node only), so Neon's `@neondatabase/serverless` driver can talk to
// a plain PostgreSQL. Neon runs such a proxy in front of its databases; locally we run this.
//
// The driver opens ws://<proxy>/v2?address=<host>:<port> and then sends and receives raw
// Postgres wire-protocol bytes as binary messages: we only pipe bytes. Targets are limited to
// an explicit allowlist, checked before any TCP connection is opened.

import type { IncomingMessage } from 'node:http'
import net from 'node:net'
import { type RawData, WebSocket, WebSocketServer } from 'ws'

export interface WsProxyTarget {
  host: string
  port: number
}

export interface WsProxyOptions {
  /** Default 127.0.0.1. */
  listenHost?: string
  /** Default 0: a random free port. */
  listenPort?: number
  /** The only host:port pairs clients may reach, compared literally (no DNS, no aliasing). */
  allow: WsProxyTarget[]
  /** Concurrent sessions; extra ones are closed with 1013. Default 100. */
  maxConnections?: number
  /** Close a session after this long with no bytes either way. Default 5 minutes. */
  idleTimeoutMs?: number
}

export interface WsProxyStats {
  /** Sessions currently open. */
  open: number
  /** Sessions accepted since start. */
  total: number
  /** Upgrades refused (bad target or over the cap). */
  refused: number
}

export interface WsProxy {
  port: number
  /** ws://host:port, for logs and tests. */
  url: string
  close(): Promise<void>
  stats(): WsProxyStats
}

// WebSocket close codes (RFC 6455 section 7.4.1).
const POLICY_VIOLATION = 1008
const TRY_AGAIN_LATER = 1013
const INTERNAL_ERROR = 1011
const GOING_AWAY = 1001
const NORMAL = 1000

/** Pause the TCP side when this much is waiting to go out on the WebSocket. */
const WS_HIGH_WATER = 1 << 20

export async function startWsProxy(opts: WsProxyOptions): Promise<WsProxy> {
  const listenHost = opts.listenHost ?? '127.0.0.1'
  const maxConnections = opts.maxConnections ?? 100
  const idleTimeoutMs = opts.idleTimeoutMs ?? 5 * 60_000
  const allowed = new Set(
    opts.allow.map((t) => {
      if (!Number.isInteger(t.port) || t.port < 1 || t.port > 65535) {
        throw new Error(`invalid port in allowlist: ${t.host}:${t.port}`)
      }
      return targetKey(stripBrackets(t.host), t.port)
    }),
  )

  const sessions = new Set<Session>()
  let total = 0
  let refused = 0

  // perMessageDeflate off: Postgres traffic is small and latency-bound.
  const wss = new WebSocketServer({ host: listenHost, port: opts.listenPort ?? 0, perMessageDeflate: false })
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve)
    wss.once('error', reject)
  })
  // Later server errors (rare: EMFILE and the like) must not crash the process.
  wss.on('error', () => {})

  wss.on('connection', (ws, req) => {
    const target = parseTarget(req)
    if ('error' in target) {
      refused++
      ws.close(POLICY_VIOLATION, target.error)
      return
    }
    if (!allowed.has(targetKey(target.host, target.port))) {
      refused++
      ws.close(POLICY_VIOLATION, truncateReason(`target not allowed: ${target.host}:${target.port}`))
      return
    }
    if (sessions.size >= maxConnections) {
      refused++
      ws.close(TRY_AGAIN_LATER, 'too many connections')
      return
    }
    total++
    const session = new Session(ws, target, idleTimeoutMs, () => sessions.delete(session))
    sessions.add(session)
  })

  const address = wss.address()
  if (typeof address !== 'object' || address === null) throw new Error('ws proxy has no address')
  const port = address.port
  const urlHost = listenHost.includes(':') ? `[${listenHost}]` : listenHost

  let closing: Promise<void> | undefined
  return {
    port,
    url: `ws://${urlHost}:${port}`,
    stats: () => ({ open: sessions.size, total, refused }),
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy()
        // Refused sockets still in their closing handshake.
        for (const ws of wss.clients) ws.terminate()
        wss.close(() => resolve())
      })
      return closing
    },
  }
}

/** One WebSocket client piped to one TCP connection. */
class Session {
  private readonly socket: net.Socket
  private pending: Buffer[] | undefined = []
  private idleTimer: NodeJS.Timeout | undefined
  private done = false

  constructor(
    private readonly ws: WebSocket,
    target: WsProxyTarget,
    private readonly idleTimeoutMs: number,
    private readonly onDone: () => void,
  ) {
    // Listen before connecting: the client may send its startup message right away.
    ws.on('message', (data, isBinary) => this.fromClient(data, isBinary))
    ws.on('close', () => this.finish('client closed'))
    ws.on('error', () => this.destroy())

    this.socket = net.connect({ host: target.host, port: target.port })
    this.socket.setNoDelay(true)
    this.socket.on('connect', () => {
      const queued = this.pending ?? []
      this.pending = undefined
      for (const chunk of queued) this.socket.write(chunk)
    })
    this.socket.on('data', (chunk) => this.fromServer(chunk))
    this.socket.on('error', (err) => this.closeClient(INTERNAL_ERROR, `upstream: ${(err as NodeJS.ErrnoException).code ?? err.message}`))
    this.socket.on('close', () => this.closeClient(NORMAL, 'upstream closed'))
    this.touch()
  }

  private fromClient(data: RawData, _isBinary: boolean): void {
    // After either side is gone, drop bytes (writing would fail, and pausing would stall the
    // WebSocket closing handshake).
    if (this.done) return
    this.touch()
    const chunk = Buffer.isBuffer(data)
      ? data
      : Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.from(data)
    if (this.pending) {
      this.pending.push(chunk)
      return
    }
    // Backpressure: stop reading the WebSocket until Postgres has taken the bytes.
    if (!this.socket.write(chunk)) {
      this.ws.pause()
      this.socket.once('drain', () => this.ws.resume())
    }
  }

  private fromServer(chunk: Buffer): void {
    this.touch()
    if (this.ws.readyState !== WebSocket.OPEN) return
    this.ws.send(chunk, { binary: true }, () => {
      if (this.socket.isPaused() && this.ws.bufferedAmount < WS_HIGH_WATER) this.socket.resume()
    })
    if (this.ws.bufferedAmount >= WS_HIGH_WATER) this.socket.pause()
  }

  private touch(): void {
    if (this.done) return
    clearTimeout(this.idleTimer)
    this.idleTimer = setTimeout(() => {
      this.closeClient(GOING_AWAY, 'idle timeout')
      this.socket.destroy()
    }, this.idleTimeoutMs)
    this.idleTimer.unref()
  }

  /** Upstream ended or failed: end the TCP side and close the WebSocket with a reason. */
  private closeClient(code: number, reason: string): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.close(code, truncateReason(reason))
    }
    this.finish(reason)
  }

  /** Either side is gone: half-close TCP (FIN, after queued writes) and forget the session. */
  private finish(_why: string): void {
    if (this.done) return
    this.done = true
    clearTimeout(this.idleTimer)
    this.pending = undefined
    // The WebSocket may be paused for backpressure; it must read to finish closing.
    if (this.ws.isPaused) this.ws.resume()
    if (!this.socket.destroyed) this.socket.end()
    // If the peer never answers our FIN, don't keep the fd forever.
    setTimeout(() => this.socket.destroy(), 5_000).unref()
    this.onDone()
  }

  /** Hard stop, for proxy shutdown and WebSocket errors. */
  destroy(): void {
    this.ws.terminate()
    this.socket.destroy()
    this.finish('destroyed')
  }
}

/** Reads host and port from `?address=host:port` on `/v2` or `/`. */
function parseTarget(req: IncomingMessage): WsProxyTarget | { error: string } {
  let url: URL
  try {
    url = new URL(req.url ?? '/', 'ws://proxy.invalid')
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

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
}

/**
 * Literal comparison, only lower-cased (DNS names are case-insensitive). `localhost`,
 * `127.0.0.1`, `127.1` and `::1` are different entries on purpose: allow what is listed.
 */
function targetKey(host: string, port: number): string {
  return `${host.toLowerCase()}|${port}`
}

/** Close reasons are limited to 123 bytes. */
function truncateReason(reason: string): string {
  const buf = Buffer.from(reason)
  return buf.length <= 123 ? reason : buf.subarray(0, 120).toString('utf8').replace(/\uFFFD$/, '')
}
