// One accepted WebSocket piped to one TCP connection to an allowed target.

import net from 'node:net'
import { type RawData, WebSocket } from 'ws'
import { authOkWatcher } from './auth-ok.js'
import type { WsProxyTarget } from './target.js'

// WebSocket close codes (RFC 6455 section 7.4.1).
const NORMAL = 1000
const GOING_AWAY = 1001
const POLICY_VIOLATION = 1008
const MESSAGE_TOO_BIG = 1009
const INTERNAL_ERROR = 1011

/** Pause the TCP side when this much is waiting to go out on the WebSocket. */
const WS_HIGH_WATER = 1 << 20
/** After a session ends, peers that never finish closing lose their sockets this much later. */
const LINGER_MS = 5_000

export interface SessionLimits {
  idleTimeoutMs: number
  /** From the upgrade until Postgres accepts the login: a slot held by a stranger frees this soon. */
  loginTimeoutMs: number
  /** Bytes from the client held while the TCP connection is still being opened. */
  maxPendingBytes: number
  /** Largest message once Postgres has accepted the login (until then, the server's maxPayload). */
  maxMessageBytes: number
}

export class Session {
  private readonly socket: net.Socket
  private pending: Buffer[] | undefined = []
  private pendingBytes = 0
  private idleTimer: NodeJS.Timeout | undefined
  private loginTimer: NodeJS.Timeout | undefined
  private done = false
  /** Until Postgres accepts the login; then the message cap is raised and this is dropped. */
  private sawAuthOk: ((chunk: Buffer) => boolean) | undefined = authOkWatcher()

  constructor(
    private readonly ws: WebSocket,
    target: WsProxyTarget,
    private readonly limits: SessionLimits,
    private readonly onDone: () => void,
  ) {
    // Listen before connecting: the client may send its startup message right away.
    ws.on('message', (data) => this.fromClient(data))
    ws.on('close', () => this.finish())
    // Bad frames, oversized messages: ws has already sent the close frame (1002, 1009...).
    ws.on('error', () => this.finish())

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
    this.loginTimer = setTimeout(() => {
      this.closeClient(POLICY_VIOLATION, 'no login in time')
      this.socket.destroy()
    }, limits.loginTimeoutMs)
    this.loginTimer.unref()
  }

  private fromClient(data: RawData): void {
    // After either side is gone, drop bytes (writing would fail, and pausing would stall the
    // WebSocket closing handshake).
    if (this.done) return
    this.touch()
    const chunk = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)
    if (this.pending) {
      // Nobody has authenticated yet: hold only a little.
      this.pendingBytes += chunk.length
      if (this.pendingBytes > this.limits.maxPendingBytes) {
        this.closeClient(MESSAGE_TOO_BIG, 'too many bytes before the database connection opened')
        return
      }
      this.pending.push(chunk)
      return
    }
    // Backpressure: stop reading the WebSocket until Postgres has taken the bytes.
    if (!this.socket.write(chunk) && !this.ws.isPaused) {
      this.ws.pause()
      this.socket.once('drain', () => {
        if (!this.done) this.ws.resume()
      })
    }
  }

  private fromServer(chunk: Buffer): void {
    this.touch()
    if (this.sawAuthOk?.(chunk)) {
      this.sawAuthOk = undefined
      clearTimeout(this.loginTimer)
      raiseMaxPayload(this.ws, this.limits.maxMessageBytes)
    }
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
    }, this.limits.idleTimeoutMs)
    this.idleTimer.unref()
  }

  /** Close the WebSocket with a reason, and end the TCP side. */
  private closeClient(code: number, reason: string): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.close(code, truncateReason(reason))
    }
    this.finish()
  }

  /** Either side is gone: half-close TCP (FIN, after queued writes) and forget the session. */
  private finish(): void {
    if (this.done) return
    this.done = true
    clearTimeout(this.loginTimer)
    clearTimeout(this.idleTimer)
    this.pending = undefined
    // The WebSocket may be paused for backpressure; it must read to finish closing.
    if (this.ws.isPaused) this.ws.resume()
    if (this.socket.connecting) this.socket.destroy()
    else if (!this.socket.destroyed) this.socket.end()
    setTimeout(() => {
      this.socket.destroy()
      this.ws.terminate()
    }, LINGER_MS).unref()
    this.onDone()
  }

  /** Hard stop, for proxy shutdown. */
  destroy(): void {
    this.ws.terminate()
    this.socket.destroy()
    this.finish()
  }
}

/**
 * ws fixes maxPayload when the connection opens; its receiver reads this field at each frame
 * header. Should a later ws rename it, sessions just keep the startup limit.
 */
function raiseMaxPayload(ws: WebSocket, bytes: number): void {
  const receiver = (ws as unknown as { _receiver?: { _maxPayload?: unknown } })._receiver
  if (receiver && typeof receiver._maxPayload === 'number') receiver._maxPayload = bytes
}

/** Close reasons are limited to 123 bytes. */
export function truncateReason(reason: string): string {
  const buf = Buffer.from(reason)
  return buf.length <= 123 ? reason : buf.subarray(0, 120).toString('utf8').replace(/\uFFFD$/, '')
}
