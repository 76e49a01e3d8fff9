// WebSocket-to-TCP proxy (Node only), so Neon's `@neondatabase/serverless` driver can talk to
// a plain PostgreSQL. Neon runs such a proxy in front of its databases; locally we run this.
//
// The driver opens ws://<proxy>/v2?address=<host>:<port> and then sends and receives raw
// Postgres wire-protocol bytes as binary messages: we only pipe bytes. Targets are limited to
// an explicit allowlist, checked before any TCP connection is opened.
//
// Anyone can send anything here before Postgres authenticates them, so: refusals happen at
// upgrade time with an HTTP status (no WebSocket exists to misbehave on), every socket has an
// 'error' listener, and messages and pre-connect buffering are capped.

import http from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'
import { Session } from './session.js'
import { parseTarget, stripBrackets, targetKey, type WsProxyTarget } from './target.js'

export type { WsProxyTarget } from './target.js'

export interface WsProxyOptions {
  /** Default 127.0.0.1. */
  listenHost?: string
  /** Default 0: a random free port. */
  listenPort?: number
  /** The only host:port pairs clients may reach, compared literally (no DNS, no aliasing). */
  allow: WsProxyTarget[]
  /** Concurrent sessions; further upgrades get HTTP 503. Default 100. */
  maxConnections?: number
  /** Close a session after this long with no bytes either way. Default 5 minutes. */
  idleTimeoutMs?: number
  /** Close a session Postgres has not accepted the login of this long after its upgrade (1008). Default 10 s. */
  loginTimeoutMs?: number
  /** Largest WebSocket message once Postgres has accepted the login; bigger closes with 1009. Default 64 MiB. */
  maxMessageBytes?: number
  /**
   * Largest message before that (startup, password: small), and most bytes held while the TCP
   * connection opens; more closes with 1009. Default 1 MiB.
   */
  maxStartupMessageBytes?: number
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

export const DEFAULT_MAX_MESSAGE_BYTES = 64 << 20
export const DEFAULT_MAX_STARTUP_MESSAGE_BYTES = 1 << 20
/** How long a refused client gets to read its HTTP status before its socket is destroyed. */
const REFUSAL_LINGER_MS = 2_000

export async function startWsProxy(opts: WsProxyOptions): Promise<WsProxy> {
  const listenHost = opts.listenHost ?? '127.0.0.1'
  const maxConnections = opts.maxConnections ?? 100
  const maxStartupMessageBytes = opts.maxStartupMessageBytes ?? DEFAULT_MAX_STARTUP_MESSAGE_BYTES
  const limits = {
    idleTimeoutMs: opts.idleTimeoutMs ?? 5 * 60_000,
    loginTimeoutMs: opts.loginTimeoutMs ?? 10_000,
    maxPendingBytes: maxStartupMessageBytes,
    maxMessageBytes: opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
  }
  for (const [name, bytes] of [['maxMessageBytes', limits.maxMessageBytes], ['maxStartupMessageBytes', maxStartupMessageBytes]] as const) {
    // ws stores maxPayload as an int32, and 0 there means unlimited.
    if (!Number.isInteger(bytes) || bytes < 1 || bytes > 2 ** 31 - 1) throw new Error(`invalid ${name}: ${bytes}`)
  }
  const allowed = new Set(
    opts.allow.map((t) => {
      if (!Number.isInteger(t.port) || t.port < 1 || t.port > 65535) {
        throw new Error(`invalid port in allowlist: ${t.host}:${t.port}`)
      }
      return targetKey(stripBrackets(t.host), t.port)
    }),
  )

  const sessions = new Set<Session>()
  const refusing = new Set<Duplex>()
  let total = 0
  let refused = 0

  // perMessageDeflate off: Postgres traffic is latency-bound (and inflating is work done for
  // unauthenticated clients). maxPayload is checked at the frame header, before the payload
  // is buffered; sessions raise it once Postgres accepts their login.
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: maxStartupMessageBytes })

  // Short header/request timeouts free sockets that never finish their HTTP request; they do
  // not apply once a socket is upgraded.
  const server = http.createServer({ headersTimeout: 10_000, requestTimeout: 10_000 }, (_req, res) => {
    res.writeHead(426, { 'Content-Type': 'text/plain; charset=utf-8', Upgrade: 'websocket', Connection: 'close' })
    res.end("this is a WebSocket proxy for Neon's serverless driver: open ws://<proxy>/v2?address=host:port\n")
  })
  // Covers the socket's whole life: Node drops its own listener on upgrade, ws adds and
  // removes its own while handshaking.
  server.on('connection', (socket) => socket.on('error', () => socket.destroy()))
  // Malformed HTTP (or headers too large): not worth an answer.
  server.on('clientError', (_err, socket) => socket.destroy())

  const refuse = (socket: Duplex, status: number, reason: string) => {
    refused++
    refuseUpgrade(socket, status, reason, refusing)
  }
  server.on('upgrade', (req, socket, head) => {
    const target = parseTarget(req.url)
    if ('error' in target) return refuse(socket, 403, target.error)
    if (!allowed.has(targetKey(target.host, target.port))) return refuse(socket, 403, `target not allowed: ${target.host}:${target.port}`)
    if (sessions.size >= maxConnections) return refuse(socket, 503, 'too many connections')
    // Synchronous here (no verifyClient, no extensions), so the cap above cannot be overrun.
    // Requests that are not valid WebSocket handshakes get a 4xx from ws itself.
    wss.handleUpgrade(req, socket, head, (ws) => {
      total++
      const session = new Session(ws, target, limits, () => sessions.delete(session))
      sessions.add(session)
    })
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.listenPort ?? 0, listenHost, () => {
      server.off('error', reject)
      resolve()
    })
  })
  // Later server errors (rare: EMFILE and the like) must not crash the process.
  server.on('error', () => {})

  const address = server.address()
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
        server.close(() => resolve())
        for (const s of sessions) s.destroy()
        // Sessions that ended but whose peers are still closing.
        for (const ws of wss.clients) ws.terminate()
        for (const socket of refusing) socket.destroy()
        server.closeAllConnections()
        wss.close()
      })
      return closing
    },
  }
}

/** Answers an upgrade with an HTTP error: no WebSocket, so nothing later can fail on one. */
function refuseUpgrade(socket: Duplex, status: number, reason: string, refusing: Set<Duplex>): void {
  const body = `${reason}\n`
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n` +
      `Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  )
  // Discard what the client sends meanwhile (frames for a WebSocket it will not get).
  socket.resume()
  refusing.add(socket)
  const timer = setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS).unref()
  socket.once('close', () => {
    clearTimeout(timer)
    refusing.delete(socket)
  })
}
