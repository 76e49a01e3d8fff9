// A 100 MB body sent to a real Node server (serve() in a child process): refused with 413
// (or 401 without a token) while it streams in, and the server's memory does not grow.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { connect } from 'node:net'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestDatabase } from '../../core/test/setup/database.js'
import { freshDatabase } from './support.js'

const MiB = 1024 * 1024
const BIG = 100 * MiB

let db: TestDatabase
let server: ChildProcess
let url: string
beforeAll(async () => {
  db = await freshDatabase('hono_big_body')
  server = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/server.ts', import.meta.url))], {
    env: { ...process.env, DATABASE_URL: db.url },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const [line] = (await once(server.stdout!, 'data')) as [Buffer]
  url = (JSON.parse(line.toString()) as { url: string }).url
})
afterAll(async () => {
  if (server?.exitCode === null) {
    server.kill('SIGTERM')
    await once(server, 'exit')
  }
  await db?.drop()
})

/** Resident and peak resident memory of a process, in bytes (Linux). */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kB = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1]) * 1024
  return { rss: kB('VmRSS'), peak: kB('VmHWM') }
}

interface Sent {
  status: number
  body: string
  /** Bytes handed to the socket when the answer arrived. */
  sentBeforeAnswer: number
}

/**
 * POSTs `total` bytes of spaces to /jobs as fast as the socket takes them (with a
 * Content-Length, or chunked without one), and stops sending once the answer arrives.
 */
function sendBig(total: number, options: { contentLength: boolean; token?: string }): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (options.token) headers.authorization = `Bearer ${options.token}`
    if (options.contentLength) headers['content-length'] = String(total)
    // A connection of its own (one left mid-body cannot carry another request), kept alive:
    // a client sending `Connection: close` has Node close the socket right after the answer,
    // with body bytes unread, and the reset that follows may erase the answer.
    const agent = new Agent({ keepAlive: true })
    const req = request(`${url}/jobs`, { method: 'POST', headers, agent })
    const chunk = Buffer.alloc(64 * 1024, 0x20)
    let sent = 0
    let answered: number | undefined
    req.on('response', (res) => {
      answered = sent
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => {
        body += d
      })
      res.on('end', () => {
        agent.destroy()
        resolve({ status: res.statusCode!, body, sentBeforeAnswer: answered! })
      })
    })
    // Writing into a connection the server has closed after answering is expected.
    req.on('error', (error) => {
      if (answered === undefined) reject(error)
    })
    const pump = () => {
      while (answered === undefined && sent < total) {
        sent += chunk.length
        if (!req.write(chunk)) return void req.once('drain', pump)
      }
      if (answered === undefined) req.end()
    }
    pump()
  })
}

describe('a 100 MB body on a real Node server', () => {
  it('is refused while streaming, without the server buffering it', async () => {
    // Warm up the paths measured below, so their code and buffers count in the baseline.
    const ok = await fetch(`${url}/jobs`, { method: 'POST', headers: { authorization: 'Bearer t', 'content-type': 'application/json' }, body: '{"entrypoint":"ok"}' })
    expect(ok.status).toBe(201)
    expect((await sendBig(2 * MiB, { contentLength: false, token: 't' })).status).toBe(413)
    const before = memoryOf(server.pid!)

    const declared = await sendBig(BIG, { contentLength: true, token: 't' })
    const chunked = await sendBig(BIG, { contentLength: false, token: 't' })
    const anonymous = await sendBig(BIG, { contentLength: false })
    const after = memoryOf(server.pid!)
    console.info(
      `server memory: rss ${(before.rss / MiB).toFixed(1)} → ${(after.rss / MiB).toFixed(1)} MiB, peak ${(before.peak / MiB).toFixed(1)} → ${(after.peak / MiB).toFixed(1)} MiB; ` +
        `sent before the answer: ${[declared, chunked, anonymous].map((s) => (s.sentBeforeAnswer / MiB).toFixed(1)).join(' / ')} MiB of 100`,
    )

    expect(declared).toMatchObject({ status: 413, body: '{"error":"payload_too_large","message":"the body must be at most 1048576 bytes"}' })
    expect(chunked).toMatchObject({ status: 413 })
    expect(anonymous).toMatchObject({ status: 401 })
    // A server that read the whole body would answer only after all 100 MiB. (Some MiB go
    // into socket buffers, and @hono/node-server discards up to 64 MiB after answering.)
    for (const sent of [declared, chunked, anonymous]) expect(sent.sentBeforeAnswer).toBeLessThan(BIG / 2)
    // Buffering the body lifted the peak by ~300 MiB before this fix; discarding it costs a few.
    expect(after.peak - before.peak).toBeLessThan(32 * MiB)

    const health = await fetch(`${url}/healthz`)
    expect(health.status).toBe(200)
  })
})

/** Raw HTTP/1.1 on one socket: writes `text`, then reads until `answers` responses arrived (or the server closed). */
function onOneSocket(text: Buffer, answers: number): Promise<{ heads: string[]; closed: boolean }> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname)
    let got = ''
    // Each answer from its status line on (its body is short JSON, which holds no status line).
    const heads = () => got.split(/(?=HTTP\/1\.1 \d{3} )/).filter((part) => part.startsWith('HTTP/1.1 '))
    const finish = (closed: boolean) => {
      socket.destroy()
      resolve({ heads: heads(), closed })
    }
    socket.setEncoding('utf8')
    socket.on('data', (d: string) => {
      got += d
      if (heads().length >= answers) finish(false)
    })
    socket.on('end', () => finish(true))
    socket.on('error', reject)
    socket.write(text)
  })
}

describe('a 413 on a real Node server keeps its word about the connection', () => {
  it('a Content-Length over the limit, sent whole: 413, and the next request on that connection is answered', async () => {
    const body = Buffer.alloc(MiB + 1024, 0x20)
    const big = Buffer.from(`POST /jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`)
    const next = Buffer.from('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')
    // Before, the server answered 413 "keep-alive", then closed the connection 500 ms later with the GET unanswered.
    const { heads } = await onOneSocket(Buffer.concat([big, body, next]), 2)
    expect(heads[0]).toMatch(/^HTTP\/1\.1 413 /)
    expect(heads[0]).not.toMatch(/\r\nconnection: close/i)
    expect(heads[1]).toMatch(/^HTTP\/1\.1 200 /)
  })
})
