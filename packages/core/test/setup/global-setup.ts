// vitest globalSetup: one PostgreSQL and one WebSocket proxy for the whole test run.
// PGQ_TEST_DATABASE_URL picks an existing server; otherwise we start an embedded one.
import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { startEmbeddedPostgres } from '@pgq/embedded'
import { startWsProxy } from '../../src/proxy/ws-proxy.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the test server (tests create their own databases on it). */
    databaseUrl: string
    /** Port of the ws proxy on 127.0.0.1 that Neon's driver uses to reach that server. */
    wsProxyPort: number
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const t0 = performance.now()
  const external = process.env.PGQ_TEST_DATABASE_URL
  const embedded = external ? undefined : await startEmbeddedPostgres({ fast: true })
  const databaseUrl = external ?? (embedded as NonNullable<typeof embedded>).url

  try {
    const { hostname, port } = new URL(databaseUrl)
    if (!hostname) throw new Error('PGQ_TEST_DATABASE_URL needs a TCP host (the ws proxy cannot reach a unix socket)')
    // Only this server is reachable through the proxy.
    const target = { host: hostname.replace(/^\[|\]$/g, ''), port: port ? Number(port) : 5432 }
    const proxy = await startWsProxy({ allow: [target] })

    const version = await serverVersion(databaseUrl)
    const startMs = Math.round(performance.now() - t0)
    const how = embedded
      ? `embedded${embedded.staged ? ' (staged binaries)' : ''}, started in ${startMs} ms (initdb ${Math.round(embedded.timings.initMs)} ms, start ${Math.round(embedded.timings.startMs)} ms)`
      : `PGQ_TEST_DATABASE_URL, ready in ${startMs} ms`
    console.log(`[pgq tests] PostgreSQL ${version} at ${target.host}:${target.port} (${how}); ws proxy on 127.0.0.1:${proxy.port}`)

    project.provide('databaseUrl', databaseUrl)
    project.provide('wsProxyPort', proxy.port)

    return async () => {
      await proxy.close()
      await embedded?.stop()
    }
  } catch (err) {
    await embedded?.stop()
    throw err
  }
}

async function serverVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows } = await client.query<{ server_version: string }>('show server_version')
    return rows[0]?.server_version ?? '?'
  } finally {
    await client.end()
  }
}
