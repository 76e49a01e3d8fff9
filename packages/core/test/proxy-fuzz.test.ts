// `pgq proxy` (the built binary) against hostile bytes: a seeded fuzz loop of raw TCP noise,
// refused and accepted upgrades followed by invalid frames, oversized frames and floods. The
// process must stay up and keep serving a good Neon client throughout.
// Rerun a failure with PGQ_FUZZ_SEED=<seed from the log>; PGQ_FUZZ_ITERATIONS sets the count.
import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import net from 'node:net'
import { Client as NeonClient, Pool as NeonPool } from '@neondatabase/serverless'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { configureNeonForLocalProxy } from './support/neon-local-proxy.js'
import { createTestDatabase, type TestDatabase } from './setup/database.js'
import { type RunningProxy, startPgqProxy } from './support/pgq-proxy.js'

const SEED = Number(process.env.PGQ_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 32))
const ITERATIONS = Number(process.env.PGQ_FUZZ_ITERATIONS ?? 300)
const LANES = 4
const MiB = 1 << 20


/** Peak and current resident memory of a process, in bytes (Linux). */
function memoryOf(pid: number): { peak: number; now: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) * 1024
  return { peak: kb('VmHWM'), now: kb('VmRSS') }
}

/** mulberry32: small, seeded, good enough to pick bytes. */
function prng(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = Math.imul(a ^ (a >>> 15), a | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1))
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(0, 255)))
  const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)] as T
  return { next, int, bytes, pick }
}
type Rng = ReturnType<typeof prng>

function upgrade(path: string, headers: Record<string, string> = {}, method = 'GET'): Buffer {
  const all = { Host: 'proxy', Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '13', ...headers }
  const lines = Object.entries(all).map(([k, v]) => `${k}: ${v}\r\n`)
  return Buffer.from(`${method} ${path} HTTP/1.1\r\n${lines.join('')}\r\n`)
}

/** A client frame header (payload follows separately); lengths beyond the real payload are allowed. */
function frameHeader(b0: number, length: number, masked: boolean, rng: Rng): Buffer {
  const mask = masked ? 0x80 : 0
  const head =
    length < 126
      ? Buffer.from([b0, mask | length])
      : length < 65536
        ? Buffer.from([b0, mask | 126, length >> 8, length & 0xff])
        : Buffer.concat([Buffer.from([b0, mask | 127]), bigEndian64(length)])
  return masked ? Buffer.concat([head, rng.bytes(4)]) : head
}

function bigEndian64(n: number): Buffer {
  const b = Buffer.alloc(8)
  b.writeBigUInt64BE(BigInt(n))
  return b
}

/** Mostly-plausible frames with random flags, opcodes, masks and lying lengths, or plain noise. */
function randomFrames(rng: Rng): Buffer {
  const parts: Buffer[] = []
  for (let i = rng.int(1, 6); i > 0; i--) {
    if (rng.next() < 0.2) {
      parts.push(rng.bytes(rng.int(1, 300)))
      continue
    }
    const opcode = rng.pick([0, 1, 2, 2, 2, 8, 9, 10, rng.int(3, 7), rng.int(11, 15)])
    const b0 = (rng.next() < 0.8 ? 0x80 : 0) | (rng.next() < 0.15 ? rng.int(1, 7) << 4 : 0) | opcode
    const actual = rng.int(0, rng.next() < 0.8 ? 200 : 3000)
    const claimed = rng.next() < 0.85 ? actual : rng.int(0, 2 * MiB)
    parts.push(frameHeader(b0, claimed, rng.next() < 0.9, rng), rng.bytes(actual))
  }
  return Buffer.concat(parts)
}

/** What the server answered: status line and, after a 101, the code of its close frame. */
function parseReply(data: Buffer): { status: string; closeCode?: number } {
  const end = data.indexOf('\r\n\r\n')
  const status = data.subarray(0, Math.max(0, data.indexOf('\r\n'))).toString('latin1')
  let at = end + 4
  // Server frames are unmasked. The reply may be cut short: stop at the first partial header.
  while (end >= 0 && at + 2 <= data.length) {
    const opcode = data[at]! & 0x0f
    const short = data[at + 1]! & 0x7f
    const start = at + (short === 126 ? 4 : short === 127 ? 10 : 2)
    if (start + 2 > data.length) break
    const length = short === 126 ? data.readUInt16BE(at + 2) : short === 127 ? Number(data.readBigUInt64BE(at + 2)) : short
    if (opcode === 8) return { status, closeCode: length >= 2 ? data.readUInt16BE(start) : 1005 }
    at = start + length
  }
  return { status }
}

/**
 * Writes `bytes` on a fresh TCP connection, half-closes, and resolves once the proxy has
 * closed it (keeping the first 64 KiB of the reply). Rejects if the proxy never does.
 */
function exchange(port: number, bytes: Buffer, what: string, timeoutMs = 10_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    const got: Buffer[] = []
    let size = 0
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`${what}: the proxy kept the connection open for ${timeoutMs} ms`))
    }, timeoutMs)
    socket.on('data', (b: Buffer) => {
      if (size < 65536) got.push(b)
      size += b.length
    })
    // The proxy may hang up mid-write: EPIPE, ECONNRESET are expected.
    socket.on('error', () => {})
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(Buffer.concat(got))
    })
    socket.on('connect', () => socket.end(bytes))
  })
}

/** Sends a frame claiming `claimed` bytes and streams zeros until the proxy closes it. */
function hugeFrame(port: number, path: string, claimed: number): Promise<{ sent: number; reply: ReturnType<typeof parseReply> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    const chunk = Buffer.alloc(MiB)
    let reply = Buffer.alloc(0)
    let sent = 0
    let closeSeen = false
    const pump = () => {
      while (!closeSeen && sent < claimed && !socket.destroyed) {
        sent += chunk.length
        if (!socket.write(chunk)) return void socket.once('drain', pump)
      }
      if (!socket.destroyed) socket.end()
    }
    socket.on('data', (b: Buffer) => {
      reply = Buffer.concat([reply, b])
      if (!closeSeen && parseReply(reply).closeCode !== undefined) {
        closeSeen = true
        socket.end()
      }
    })
    socket.on('error', () => {})
    socket.on('close', () => resolve({ sent, reply: parseReply(reply) }))
    socket.on('connect', () => {
      socket.write(Buffer.concat([upgrade(path), frameHeader(0x82, claimed, true, prng(1))]))
      pump()
    })
    setTimeout(() => reject(new Error('huge frame: no close in 20 s')), 20_000).unref()
  })
}

/** Listens on loopback; replies with whatever it reads (so bytes flow both ways). */
async function echoServer(): Promise<net.Server> {
  const server = net.createServer((s) => {
    s.on('error', () => {})
    s.pipe(s)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return server
}

const portOf = (server: net.Server) => (server.address() as net.AddressInfo).port

describe('pgq proxy under hostile input', () => {
  let db: TestDatabase
  let pg: string
  let proxy: RunningProxy
  let echo: net.Server
  let trap: net.Server
  let trapConnections = 0
  let stalled: ChildProcess
  let stalledPort: number
  const fillers: net.Socket[] = []
  let pool: NeonPool

  beforeAll(async () => {
    console.log(`[proxy fuzz] seed ${SEED} (rerun with PGQ_FUZZ_SEED=${SEED}), ${ITERATIONS} iterations`)
    db = await createTestDatabase('proxy_fuzz')
    pg = new URL(db.url).host
    echo = await echoServer()
    // Not allowed: must never see a connection.
    trap = net.createServer((s) => {
      trapConnections++
      s.destroy()
    })
    await new Promise<void>((r) => trap.listen(0, '127.0.0.1', r))
    // Allowed, but connections to it never complete: it listens with a backlog of 1 and its
    // event loop is blocked, so once two connections fill the queue, further SYNs are dropped.
    const code = `const s = require('node:net').createServer(); s.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => { process.stdout.write(s.address().port + '\\n'); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0) })`
    stalled = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] })
    stalledPort = await new Promise<number>((r) => stalled.stdout!.once('data', (d) => r(Number(String(d)))))
    for (let i = 0; i < 2; i++) {
      const s = net.connect(stalledPort, '127.0.0.1')
      fillers.push(s)
      await new Promise((r, j) => s.once('connect', r).once('error', j))
    }
    const allow = [`127.0.0.1:${portOf(echo)}`, `127.0.0.1:${stalledPort}`].flatMap((a) => ['--allow', a])
    proxy = await startPgqProxy(['--database-url', db.url, ...allow])
    configureNeonForLocalProxy(proxy.port)
    pool = new NeonPool({ connectionString: db.url, max: 2 })
  })
  afterAll(async () => {
    await pool?.end().catch(() => {})
    proxy?.child.kill('SIGKILL')
    stalled?.kill('SIGKILL')
    for (const s of fillers) s.destroy()
    echo?.close()
    trap?.close()
    await db?.drop()
  })

  it('refuses a 100 MiB frame at its header, before buffering it', async () => {
    const before = memoryOf(proxy.child.pid!)
    const { sent, reply } = await hugeFrame(proxy.port, `/v2?address=${pg}`, 100 * MiB)
    const after = memoryOf(proxy.child.pid!)
    console.log(`[proxy fuzz] 100 MiB frame: closed after ${(sent / MiB).toFixed(0)} MiB sent; peak RSS ${(before.peak / MiB).toFixed(1)} -> ${(after.peak / MiB).toFixed(1)} MiB`)
    expect(reply).toEqual({ status: 'HTTP/1.1 101 Switching Protocols', closeCode: 1009 })
    expect(after.peak - before.peak).toBeLessThan(24 * MiB)
  })

  it('stays up through the fuzz loop, and a good client keeps querying', async () => {
    const rng = prng(SEED)
    const forbidden = (() => {
      const { hostname, port } = new URL(db.url)
      const p = Number(port || 5432)
      const addresses = [`127.0.0.1:${portOf(trap)}`, `localhost:${p}`, `127.1:${p}`, `[::1]:${p}`, `${hostname}:0x${p.toString(16)}`, hostname, '', `${hostname}:99999`, `${pg}@evil`]
      return [
        ...addresses.flatMap((a) => [`/v2?address=${a}`, `/?address=${encodeURIComponent(a)}`]),
        `/other?address=${pg}`,
        `/v2?address=${pg}&address=${pg}`,
        '/v2',
        '/%zz',
      ]
    })()
    const accepted = [`/v2?address=127.0.0.1:${portOf(echo)}`, `/?address=127.0.0.1:${portOf(echo)}`]
    const badHandshakes: [Record<string, string>, string][] = [
      [{ 'Sec-WebSocket-Version': '12' }, 'GET'],
      [{ 'Sec-WebSocket-Key': 'short' }, 'GET'],
      [{ Upgrade: 'h2c' }, 'GET'],
      [{}, 'POST'],
    ]
    // Every input is drawn up front, so the run depends on the seed only, not on timing.
    type Case = { kind: string; bytes: Buffer; expect: RegExp; closeCode?: number }
    const cases: Case[] = Array.from({ length: ITERATIONS }, (): Case => {
      const roll = rng.next()
      if (roll < 0.2) return { kind: 'raw noise', bytes: rng.bytes(rng.int(1, 4096)), expect: /^/ }
      if (roll < 0.25) {
        return { kind: 'noise after a request line', bytes: Buffer.concat([Buffer.from('GET /v2 HTTP/1.1\r\n'), rng.bytes(rng.int(1, 512))]), expect: /^/ }
      }
      if (roll < 0.3) return { kind: 'plain HTTP', bytes: Buffer.from('GET /v2 HTTP/1.1\r\nHost: proxy\r\n\r\n'), expect: /^HTTP\/1\.1 426 / }
      if (roll < 0.35) {
        const [headers, method] = rng.pick(badHandshakes)
        return { kind: 'bad handshake', bytes: Buffer.concat([upgrade(accepted[0]!, headers, method), randomFrames(rng)]), expect: /^HTTP\/1\.1 4\d\d / }
      }
      if (roll < 0.6) return { kind: 'frames after a refused upgrade', bytes: Buffer.concat([upgrade(rng.pick(forbidden)), randomFrames(rng)]), expect: /^HTTP\/1\.1 403 / }
      if (roll < 0.9) {
        const path = rng.next() < 0.15 ? `/v2?address=${pg}` : rng.pick(accepted)
        return { kind: 'frames after an accepted upgrade', bytes: Buffer.concat([upgrade(path), randomFrames(rng)]), expect: /^HTTP\/1\.1 101 / }
      }
      const claimed = rng.next() < 0.5 ? rng.int(MiB + 1, 64 * MiB) : rng.int(2 ** 32, 2 ** 53 - 1)
      const bytes = Buffer.concat([upgrade(rng.pick(accepted)), frameHeader(0x82, claimed, true, rng), rng.bytes(rng.int(0, 4096))])
      return { kind: 'oversized frame', bytes, expect: /^HTTP\/1\.1 101 /, closeCode: 1009 }
    })

    let fuzzing = true
    let queries = 0
    const goodClient = (async () => {
      while (fuzzing) {
        const { rows } = await pool.query('select $1::int + 1 as n', [queries])
        expect(rows).toEqual([{ n: queries + 1 }])
        queries++
      }
    })()
    goodClient.catch(() => {}) // reported by the await below
    const started = performance.now()
    let next = 0
    const lane = async () => {
      for (let i = next++; i < cases.length; i = next++) {
        const c = cases[i]!
        const what = `seed ${SEED}, iteration ${i} (${c.kind})`
        const reply = parseReply(await exchange(proxy.port, c.bytes, what))
        expect(reply.status, what).toMatch(c.expect)
        if (c.closeCode) expect(reply.closeCode, what).toBe(c.closeCode)
        expect(proxy.child.exitCode, what).toBeNull()
      }
    }
    try {
      await Promise.all(Array.from({ length: LANES }, lane))
    } finally {
      fuzzing = false
      await goodClient
    }
    const ms = Math.round(performance.now() - started)
    console.log(`[proxy fuzz] ${cases.length} iterations in ${ms} ms; the good client ran ${queries} queries meanwhile`)
    expect(queries).toBeGreaterThan(0)
    expect(trapConnections).toBe(0)
    expect((await pool.query('select current_database() as db')).rows).toEqual([{ db: db.name }])
    expect(proxy.output()).not.toMatch(/error/i)
  })

  it('lifts the message cap once Postgres has accepted the login', async () => {
    const big = 'x'.repeat(3 * MiB)
    const { rows } = await pool.query('select length($1::text) as n', [big])
    expect(rows).toEqual([{ n: big.length }])
    // The same size before any login: refused.
    const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/v2?address=${pg}`)
    await new Promise((r, j) => ws.once('open', r).once('error', j))
    ws.send(Buffer.alloc(3 * MiB))
    expect(await new Promise((r) => ws.once('close', r))).toBe(1009)
  })

  it('closes with 1009 when a client floods before the database connection opens', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/v2?address=127.0.0.1:${stalledPort}`)
    await new Promise((r, j) => ws.once('open', r).once('error', j))
    const closed = new Promise<[number, string]>((r) => ws.once('close', (code, reason) => r([code, reason.toString()])))
    // Each message is within the startup limit; together they are not.
    for (let i = 0; i < 8; i++) ws.send(Buffer.alloc(256 * 1024))
    expect(await closed).toEqual([1009, 'too many bytes before the database connection opened'])
  })

  it('still exits 0 on SIGTERM afterwards', async () => {
    expect(proxy.child.exitCode).toBeNull()
    await pool.end()
    proxy.child.kill('SIGTERM')
    expect(await proxy.exit).toBe(0)
  })
})

describe('pgq proxy over its connection cap', () => {
  it('answers 503 at upgrade time, whatever follows, and keeps its sessions', async () => {
    const db = await createTestDatabase('proxy_cap')
    const echo = await echoServer()
    const proxy = await startPgqProxy(['--database-url', db.url, '--allow', `127.0.0.1:${portOf(echo)}`, '--max-connections', '2'])
    const client = new NeonClient({ connectionString: db.url })
    configureNeonForLocalProxy(proxy.port, { target: client.neonConfig })
    const held = new WebSocket(`ws://127.0.0.1:${proxy.port}/v2?address=127.0.0.1:${portOf(echo)}`)
    const heldOpen = new Promise((r, j) => held.once('open', r).once('error', j))
    try {
      await Promise.all([client.connect(), heldOpen])
      const rng = prng(SEED ^ 0x5eed)
      for (let i = 0; i < 50; i++) {
        const what = `seed ${SEED}, over-cap iteration ${i}`
        const bytes = Buffer.concat([upgrade(`/v2?address=127.0.0.1:${portOf(echo)}`), randomFrames(rng)])
        expect(parseReply(await exchange(proxy.port, bytes, what)).status, what).toBe('HTTP/1.1 503 Service Unavailable')
      }
      expect((await client.query('select 6 * 7 as answer')).rows).toEqual([{ answer: 42 }])
      held.send('still here')
      expect(String(await new Promise((r) => held.once('message', r)))).toBe('still here')
      expect(proxy.child.exitCode).toBeNull()
    } finally {
      held.terminate()
      await client.end().catch(() => {})
      proxy.child.kill('SIGKILL')
      echo.close()
      await db.drop()
    }
  })
})
