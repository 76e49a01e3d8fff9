// A TCP relay in front of PostgreSQL that reads the frontend (client → server) protocol
// and counts what the client sends: connections, round trips (each Sync or simple Query
// ends in a wait for ReadyForQuery), and messages by type. Bytes pass through unchanged.
import net from 'node:net'

export interface RelayCounts {
  connections: number
  /** Sync ('S') + simple Query ('Q') messages: one wait for the server each. */
  roundTrips: number
  /** Statements executed: Execute ('E') + simple Query ('Q'). */
  executes: number
  /** Authentication messages sent by the client (password, SASL). */
  auth: number
  byType: Record<string, number>
  /** performance.now() of: each TCP connection opened, each round trip sent, each connection closed. */
  events: { at: number; what: 'open' | 'trip' | 'close' }[]
}

export interface PgRelay {
  port: number
  counts(): RelayCounts
  reset(): void
  close(): Promise<void>
}

const SSL_REQUEST = 80877103
const GSS_REQUEST = 80877104

export async function startPgRelay(target: { host: string; port: number }): Promise<PgRelay> {
  let counts: RelayCounts = fresh()
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    counts.connections++
    counts.events.push({ at: performance.now(), what: 'open' })
    const upstream = net.connect(target)
    client.setNoDelay(true)
    upstream.setNoDelay(true)
    sockets.add(client)
    sockets.add(upstream)
    let buffer: Buffer = Buffer.alloc(0)
    let startup = true
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk)
      buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk
      for (;;) {
        if (startup) {
          if (buffer.length < 8) break
          const len = buffer.readInt32BE(0)
          if (buffer.length < len) break
          const code = buffer.readInt32BE(4)
          buffer = buffer.subarray(len)
          if (code !== SSL_REQUEST && code !== GSS_REQUEST) startup = false
          continue
        }
        if (buffer.length < 5) break
        const type = String.fromCharCode(buffer[0]!)
        const len = buffer.readInt32BE(1)
        if (buffer.length < len + 1) break
        buffer = buffer.subarray(len + 1)
        counts.byType[type] = (counts.byType[type] ?? 0) + 1
        if (type === 'S' || type === 'Q') {
          counts.roundTrips++
          counts.events.push({ at: performance.now(), what: 'trip' })
        }
        if (type === 'E' || type === 'Q') counts.executes++
        if (type === 'p') counts.auth++
      }
    })
    upstream.on('data', (chunk) => client.write(chunk))
    let ended = false
    const end = () => {
      if (!ended) counts.events.push({ at: performance.now(), what: 'close' })
      ended = true
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('close', end)
    upstream.on('close', end)
    client.on('error', end)
    upstream.on('error', end)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    counts: () => structuredClone(counts),
    reset: () => {
      counts = fresh()
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

function fresh(): RelayCounts {
  return { connections: 0, roundTrips: 0, executes: 0, auth: 0, byType: {}, events: [] }
}
