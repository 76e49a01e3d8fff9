import { DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_STARTUP_MESSAGE_BYTES, startWsProxy, type WsProxyTarget } from '../proxy/ws-proxy.js'
import { durationFlag, TIMER } from './arguments.js'
import { type CliIo, checkDatabaseUrl, line, UsageError } from './context.js'

export interface ProxyFlags {
  databaseUrl?: string
  allow?: string[]
  listen?: string
  maxConnections?: string
  idleTimeout?: string
  loginTimeout?: string
  // Sizes in bytes or e.g. '64k', '4m' (options in commands.ts).
  maxMessageSize?: string
  maxStartupMessageSize?: string
}

/**
 * A WebSocket-to-Postgres proxy for Neon's serverless driver, so edge code reaches a
 * self-hosted Postgres the way it reaches Neon. Runs until SIGTERM or SIGINT.
 */
export async function proxy(flags: ProxyFlags, io: CliIo): Promise<number> {
  const settings = proxySettings(flags, io)
  const server = await startWsProxy(settings)
  const where = `${settings.listenHost.includes(':') ? `[${settings.listenHost}]` : settings.listenHost}:${server.port}`
  const allowed = settings.allow.map((t) => `${t.host}:${t.port}`).join(', ')
  line(io.stdout, `pgq proxy: listening on ws://${where}, allowing ${allowed} (at most ${settings.maxConnections} connections, idle ones closed after ${settings.idleTimeoutMs} ms and those not logged in after ${settings.loginTimeoutMs} ms, messages up to ${settings.maxStartupMessageBytes} bytes before login and ${settings.maxMessageBytes} after)`)
  line(io.stdout, neonSnippet(where))
  const signal = await new Promise<string>((resolve) => {
    const stop = (name: string) => () => resolve(name)
    process.once('SIGTERM', stop('SIGTERM'))
    process.once('SIGINT', stop('SIGINT'))
  })
  await server.close()
  line(io.stdout, `pgq proxy: ${signal}: closed`)
  return 0
}

export function proxySettings(flags: ProxyFlags, io: CliIo) {
  const allow = (flags.allow ?? []).map((text) => parseHostPort(text, '--allow'))
  const url = flags.databaseUrl || io.env.DATABASE_URL
  if (url) allow.push(databaseTarget(url, flags.databaseUrl ? '--database-url' : 'DATABASE_URL'))
  if (allow.length === 0) throw new UsageError('nothing to allow: pass --database-url <url> (or set DATABASE_URL) and/or --allow host:port')
  const listen = parseHostPort(flags.listen ?? '127.0.0.1:8080', '--listen', true)
  return {
    allow,
    listenHost: listen.host,
    listenPort: listen.port,
    maxConnections: positiveInteger(flags.maxConnections ?? '100', '--max-connections'),
    idleTimeoutMs: duration(flags.idleTimeout ?? '5m', '--idle-timeout'),
    loginTimeoutMs: duration(flags.loginTimeout ?? '10s', '--login-timeout'),
    maxMessageBytes: byteSize(flags.maxMessageSize, DEFAULT_MAX_MESSAGE_BYTES, '--max-message-size'),
    maxStartupMessageBytes: byteSize(flags.maxStartupMessageSize, DEFAULT_MAX_STARTUP_MESSAGE_BYTES, '--max-startup-message-size'),
  }
}

/** host:port or [v6]:port; port 0 only where allowed (--listen: a free port). */
function parseHostPort(text: string, flag: string, zeroOk = false): WsProxyTarget {
  const match = /^(\[[^\]]+\]|[^:[\]\s]+):([0-9]{1,5})$/.exec(text)
  const port = Number(match?.[2])
  if (!match || port > 65535 || (port === 0 && !zeroOk)) throw new UsageError(`${flag} must be host:port (e.g. 127.0.0.1:5432), got ${JSON.stringify(text)}`)
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port }
}

function databaseTarget(url: string, source: string): WsProxyTarget {
  checkDatabaseUrl(url, source)
  const parsed = URL.canParse(url) ? new URL(url) : undefined
  if (!parsed?.hostname) throw new UsageError('the database URL has no TCP host (the proxy cannot reach a unix socket)')
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port: parsed.port ? Number(parsed.port) : 5432 }
}

function positiveInteger(text: string, flag: string): number {
  if (!/^[0-9]+$/.test(text) || Number(text) < 1) throw new UsageError(`${flag} must be a positive integer, got ${JSON.stringify(text)}`)
  return Number(text)
}

/** Bytes, or with a k/m suffix (KiB, MiB); at most what ws can store (an int32). */
function byteSize(text: string | undefined, fallback: number, flag: string): number {
  if (text === undefined) return fallback
  const match = /^([0-9]+)(k|m)?$/i.exec(text)
  const unit = match?.[2]?.toLowerCase()
  const bytes = Number(match?.[1]) * (unit === 'm' ? 1024 ** 2 : unit === 'k' ? 1024 : 1)
  if (!match || bytes < 1 || bytes >= 2 ** 31) throw new UsageError(`${flag} must be a size in bytes (e.g. 1048576 or 1m) below 2048m, got ${JSON.stringify(text)}`)
  return bytes
}

function duration(text: string, flag: string): number {
  const ms = durationFlag(text, flag, TIMER)
  if (ms <= 0) throw new UsageError(`${flag} must be more than 0`)
  return ms
}

/** What to paste where Neon's driver is configured (a Worker, an edge function). */
function neonSnippet(where: string): string {
  return [
    '',
    "Point Neon's driver at it (behind a TLS-terminating reverse proxy use wss://):",
    '',
    "  import { neonConfig } from '@neondatabase/serverless'",
    "  import { wsProxySettings } from '@pgq/core/neon-serverless'",
    `  Object.assign(neonConfig, wsProxySettings('ws://${where}'))`,
    '',
    'which sets:',
    '',
    `  neonConfig.wsProxy = (host, port) => \`${where}/v2?address=\${host}:\${port}\``,
    '  neonConfig.useSecureWebSocket = false',
    '  neonConfig.pipelineConnect = false // required unless Postgres asks for a cleartext password',
    '  neonConfig.forceDisablePgSSL = true',
    '  neonConfig.coalesceWrites = false',
    '',
  ].join('\n')
}
