// `pgq proxy`: the real binary, spawned, between Neon's driver (or a raw WebSocket) and Postgres.
import { spawn } from 'node:child_process'
import net from 'node:net'
import { Pool as NeonPool, neonConfig } from '@neondatabase/serverless'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { proxySettings } from '../src/cli/proxy.js'
import { wsProxySettings } from '../src/driver/neon-serverless/index.js'
import { ConfigurationError } from '../src/errors.js'
import { configureNeonForLocalProxy } from './support/neon-local-proxy.js'
import { createTestDatabase, type TestDatabase } from './setup/database.js'
import { PGQ_BIN, type RunningProxy, startPgqProxy } from './support/pgq-proxy.js'



/** Opens a raw WebSocket as Neon's driver would and reports the HTTP status that refused it. */
function refusalOf(proxyPort: number, address: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${proxyPort}/v2?address=${address}`)
    ws.on('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (b: Buffer) => (body += b))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    ws.on('open', () => reject(new Error(`the proxy accepted ${address}`)))
    ws.on('error', reject)
  })
}

describe('pgq proxy', () => {
  let db: TestDatabase
  let pgTarget: string
  let proxy: RunningProxy
  beforeAll(async () => {
    db = await createTestDatabase('cli_proxy')
    const url = new URL(db.url)
    pgTarget = `${url.hostname}:${url.port || 5432}`
    proxy = await startPgqProxy(['--database-url', db.url])
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
      const refused = await refusalOf(proxy.port, `127.0.0.1:${bystanderPort}`)
      expect(refused).toEqual({ status: 403, body: `target not allowed: 127.0.0.1:${bystanderPort}\n` })
      // Aliases of the allowed host are other targets: only what is listed is reachable.
      const alias = await refusalOf(proxy.port, `localhost:${new URL(db.url).port}`)
      expect(alias.status).toBe(403)
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

  it('reaches the database with the wsProxySettings line it prints', async () => {
    await expect.poll(() => proxy.output(), { timeout: 5000 }).toContain('wsProxySettings(')
    const printed = /Object\.assign\(neonConfig, wsProxySettings\('([^']+)'\)\)/.exec(proxy.output())?.[1]
    expect(printed).toBe(`ws://127.0.0.1:${proxy.port}`)
    neonConfig.webSocketConstructor = WebSocket
    Object.assign(neonConfig, wsProxySettings(printed!))
    const pool = new NeonPool({ connectionString: db.url, max: 1 })
    try {
      expect((await pool.query('select current_database() as db')).rows).toEqual([{ db: db.name }])
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
  const running: RunningProxy[] = []
  beforeAll(async () => {
    db = await createTestDatabase('cli_proxy_limits')
  })
  afterEach(() => {
    for (const r of running.splice(0)) r.child.kill('SIGKILL')
  })
  afterAll(() => db?.drop())

  it('caps concurrent sessions and closes idle ones', async () => {
    const proxy = await startPgqProxy(['--database-url', db.url, '--max-connections', '1', '--idle-timeout', '400'])
    running.push(proxy)
    const target = new URL(db.url).host
    const first = new WebSocket(`ws://127.0.0.1:${proxy.port}/v2?address=${target}`)
    await new Promise((resolve, reject) => first.once('open', resolve).once('error', reject))
    const firstClosed = new Promise<{ code: number; reason: string }>((resolve) => first.once('close', (code, reason) => resolve({ code, reason: reason.toString() })))
    expect(await refusalOf(proxy.port, target)).toEqual({ status: 503, body: 'too many connections\n' })
    const started = Date.now()
    expect(await firstClosed).toEqual({ code: 1001, reason: 'idle timeout' })
    expect(Date.now() - started).toBeLessThan(3000)
  })

  it('exits 2 with nothing to allow, and on a malformed --allow', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; err: string }>((resolve) => {
        const { DATABASE_URL: _, ...env } = process.env
        const child = spawn(process.execPath, [PGQ_BIN, 'proxy', ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] })
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

  it('takes message sizes in bytes, KiB or MiB', () => {
    const io = { env: {}, stdout: () => {}, stderr: () => {} }
    const sizes = (maxMessageSize?: string, maxStartupMessageSize?: string) => {
      const s = proxySettings({ allow: ['127.0.0.1:5432'], maxMessageSize, maxStartupMessageSize }, io)
      return [s.maxMessageBytes, s.maxStartupMessageBytes]
    }
    expect(sizes()).toEqual([64 << 20, 1 << 20])
    expect(sizes('4096', '64k')).toEqual([4096, 64 << 10])
    expect(sizes('4M', '2047m')).toEqual([4 << 20, 2047 << 20])
    for (const bad of ['0', '1.5m', '1g', '-1', '2048m']) {
      expect(() => sizes(bad), bad).toThrow(/--max-message-size must be a size/)
      expect(() => sizes(undefined, bad), bad).toThrow(/--max-startup-message-size must be a size/)
    }
  })
})

describe('wsProxySettings', () => {
  it('keeps a path, uses TLS for wss and refuses what is not a WebSocket URL', () => {
    const secure = wsProxySettings('wss://pg-proxy.example.com/pg/')
    expect(secure.wsProxy('db.internal', 5432)).toBe('pg-proxy.example.com/pg/v2?address=db.internal:5432')
    expect(secure).toMatchObject({ useSecureWebSocket: true, pipelineConnect: false, forceDisablePgSSL: true, coalesceWrites: false })
    expect(wsProxySettings('ws://[::1]:8080').wsProxy('h', '1')).toBe('[::1]:8080/v2?address=h:1')
    expect(() => wsProxySettings('https://pg-proxy.example.com')).toThrow(ConfigurationError)
    expect(() => wsProxySettings('https://pg-proxy.example.com')).toThrow('must start with ws:// or wss://, not https://')
    expect(() => wsProxySettings('pg-proxy.example.com:8080')).toThrow(ConfigurationError)
    expect(() => wsProxySettings('ws://user:secret@pg-proxy.example.com')).toThrow(/no query, fragment or credentials/)
    expect(() => wsProxySettings('ws://user:secret@pg-proxy.example.com')).not.toThrow(/secret/)
  })
})
