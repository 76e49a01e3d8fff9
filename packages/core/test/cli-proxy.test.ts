// `pgq proxy`: the real binary, spawned, between Neon's driver (or a raw WebSocket) and Postgres.
import { type ChildProcess, spawn } from 'node:child_process'
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import { Pool as NeonPool } from '@neondatabase/serverless'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { configureNeonForLocalProxy } from '../src/driver/neon-serverless/local-proxy-config.js'
import { createTestDatabase, type TestDatabase } from './setup/database.js'

const BIN = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url))

interface Running {
  child: ChildProcess
  port: number
  output: () => string
  exit: Promise<number | null>
}

/** Spawns `pgq proxy ...args` on a free port and waits for its "listening" line. */
async function startProxy(args: string[]): Promise<Running> {
  const child = spawn(process.execPath, [BIN, 'proxy', '--listen', '127.0.0.1:0', ...args], { cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.on('data', (b: Buffer) => (out += b))
  child.stderr!.on('data', (b: Buffer) => (out += b))
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setInterval(() => {
      const match = /listening on ws:\/\/127\.0\.0\.1:(\d+)/.exec(out)
      if (match) {
        clearInterval(timer)
        resolve(Number(match[1]))
      }
    }, 20)
    void exit.then((code) => {
      clearInterval(timer)
      reject(new Error(`pgq proxy exited with ${code}: ${out}`))
    })
  })
  return { child, port, output: () => out, exit }
}

/** Opens a raw WebSocket as Neon's driver would and reports how the proxy closed it. */
function closeOf(proxyPort: number, address: string): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${proxyPort}/v2?address=${address}`)
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }))
    ws.on('error', reject)
  })
}

describe('pgq proxy', () => {
  let db: TestDatabase
  let pgTarget: string
  let proxy: Running
  beforeAll(async () => {
    db = await createTestDatabase('cli_proxy')
    const url = new URL(db.url)
    pgTarget = `${url.hostname}:${url.port || 5432}`
    proxy = await startProxy(['--database-url', db.url])
  })
  afterAll(async () => {
    proxy?.child.kill('SIGKILL')
    await db?.drop()
  })

  it('prints the neonConfig snippet for its address', async () => {
    expect(proxy.output()).toContain(`allowing ${pgTarget}`)
    // The snippet follows the 'listening' line; under load it may arrive in a later chunk.
    await expect.poll(() => proxy.output(), { timeout: 5000 }).toContain('neonConfig.pipelineConnect = false')
    expect(proxy.output()).toContain(`neonConfig.wsProxy = (host, port) => \`127.0.0.1:${proxy.port}/v2?address=\${host}:\${port}\``)
    expect(proxy.output()).toContain('neonConfig.pipelineConnect = false')
  })

  it('refuses a host:port outside the allowlist before any byte reaches it', async () => {
    let connections = 0
    const bystander = net.createServer((socket) => {
      connections++
      socket.destroy()
    })
    await new Promise<void>((resolve) => bystander.listen(0, '127.0.0.1', resolve))
    const bystanderPort = (bystander.address() as net.AddressInfo).port
    try {
      const refused = await closeOf(proxy.port, `127.0.0.1:${bystanderPort}`)
      expect(refused).toEqual({ code: 1008, reason: `target not allowed: 127.0.0.1:${bystanderPort}` })
      // Aliases of the allowed host are other targets: only what is listed is reachable.
      const alias = await closeOf(proxy.port, `localhost:${new URL(db.url).port}`)
      expect(alias.code).toBe(1008)
      await new Promise((r) => setTimeout(r, 100))
      expect(connections).toBe(0)
    } finally {
      bystander.close()
    }
  })

  it('carries a Neon driver Pool to the allowed database', async () => {
    configureNeonForLocalProxy(proxy.port)
    const pool = new NeonPool({ connectionString: db.url, max: 2 })
    try {
      const { rows } = await pool.query('select current_database() as db, 6 * 7 as answer')
      expect(rows).toEqual([{ db: db.name, answer: 42 }])
      const client = await pool.connect()
      await client.query('begin')
      await client.query('create table through_proxy (id int)')
      await client.query('commit')
      client.release()
      expect((await pool.query('select count(*)::int as n from through_proxy')).rows).toEqual([{ n: 0 }])
    } finally {
      await pool.end()
    }
  })

  it('closes its sessions and exits 0 on SIGTERM', async () => {
    const session = new WebSocket(`ws://127.0.0.1:${proxy.port}/v2?address=${pgTarget}`)
    await new Promise((resolve, reject) => session.once('open', resolve).once('error', reject))
    const closed = new Promise<number>((resolve) => session.once('close', (code) => resolve(code)))
    proxy.child.kill('SIGTERM')
    expect(await proxy.exit).toBe(0)
    expect(proxy.output()).toMatch(/pgq proxy: SIGTERM: closed\n$/)
    expect(await closed).toBeGreaterThan(0)
  })
})

describe('pgq proxy limits', () => {
  let db: TestDatabase
  const running: Running[] = []
  beforeAll(async () => {
    db = await createTestDatabase('cli_proxy_limits')
  })
  afterEach(() => {
    for (const r of running.splice(0)) r.child.kill('SIGKILL')
  })
  afterAll(() => db?.drop())

  it('caps concurrent sessions and closes idle ones', async () => {
    const proxy = await startProxy(['--database-url', db.url, '--max-connections', '1', '--idle-timeout', '400'])
    running.push(proxy)
    const target = new URL(db.url).host
    const first = new WebSocket(`ws://127.0.0.1:${proxy.port}/v2?address=${target}`)
    await new Promise((resolve, reject) => first.once('open', resolve).once('error', reject))
    const firstClosed = new Promise<{ code: number; reason: string }>((resolve) => first.once('close', (code, reason) => resolve({ code, reason: reason.toString() })))
    expect(await closeOf(proxy.port, target)).toEqual({ code: 1013, reason: 'too many connections' })
    const started = Date.now()
    expect(await firstClosed).toEqual({ code: 1001, reason: 'idle timeout' })
    expect(Date.now() - started).toBeLessThan(3000)
  })

  it('exits 2 with nothing to allow, and on a malformed --allow', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; err: string }>((resolve) => {
        const { DATABASE_URL: _, ...env } = process.env
        const child = spawn(process.execPath, [BIN, 'proxy', ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] })
        let err = ''
        child.stderr!.on('data', (b: Buffer) => (err += b))
        child.once('exit', (code) => resolve({ code, err }))
      })
    const none = await run(['--listen', '127.0.0.1:0'])
    expect(none.code).toBe(2)
    expect(none.err).toMatch(/nothing to allow/)
    const bad = await run(['--allow', 'db.internal', '--listen', '127.0.0.1:0'])
    expect(bad.code).toBe(2)
    expect(bad.err).toMatch(/--allow must be host:port/)
  })
})
