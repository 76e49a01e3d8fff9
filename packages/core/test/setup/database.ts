// Helpers for test files: the shared server from global-setup, throwaway databases on it, and
// Pools for both drivers.
import { randomBytes } from 'node:crypto'
import { Client as NeonClient, Pool as NeonPool, type PoolConfig as NeonPoolConfig } from '@neondatabase/serverless'
import pg from 'pg'
import { inject } from 'vitest'
import { configureNeonForLocalProxy } from '../support/neon-local-proxy.js'
import { withPgClient } from '../../src/driver/node-postgres/with-client.js'
// Type-only: brings in the ProvidedContext augmentation without running the setup code.
import type {} from './global-setup.js'

/** Superuser URL of the test server. */
export function testDatabaseUrl(): string {
  return inject('databaseUrl')
}

/** Port of the ws proxy that fronts the test server. */
export function wsProxyPort(): number {
  return inject('wsProxyPort')
}

export interface TestDatabase {
  name: string
  url: string
  /** Disconnects everyone and drops the database. */
  drop(): Promise<void>
}

/** Creates `pgq_test_<prefix>_<random>` on the test server. */
export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const safePrefix = prefix.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 40)
  const name = `pgq_test_${safePrefix}_${randomBytes(5).toString('hex')}`
  const serverUrl = testDatabaseUrl()
  await withPgClient(serverUrl, (c) => c.query(`CREATE DATABASE ${c.escapeIdentifier(name)}`))

  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  let dropped: Promise<void> | undefined
  return {
    name,
    url: url.toString(),
    drop() {
      dropped ??= withPgClient(serverUrl, async (c) => {
        const { rows } = await c.query<{ v: number }>(`select current_setting('server_version_num')::int as v`)
        const id = c.escapeIdentifier(name)
        if ((rows[0]?.v ?? 0) >= 130000) {
          await c.query(`DROP DATABASE IF EXISTS ${id} WITH (FORCE)`)
        } else {
          await c.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [name])
          await c.query(`DROP DATABASE IF EXISTS ${id}`)
        }
      })
      return dropped
    },
  }
}

/** A Neon serverless Pool reaching `url` through the test ws proxy. */
export function neonPool(url: string, config: NeonPoolConfig = {}): NeonPool {
  configureNeonForLocalProxy(wsProxyPort())
  const pool = new NeonPool({ connectionString: url, ...config })
  pool.on('error', ignoreAdminShutdown)
  return pool
}

/** A Neon serverless Client (e.g. for LISTEN) through the test ws proxy; not yet connected. */
export function neonClient(url: string): NeonClient {
  configureNeonForLocalProxy(wsProxyPort())
  return new NeonClient({ connectionString: url })
}

/** A node-postgres Pool on `url`. */
export function pgPool(url: string, config: pg.PoolConfig = {}): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, ...config })
  pool.on('error', ignoreAdminShutdown)
  return pool
}

// An idle pooled client whose database is dropped WITH (FORCE) emits 'error' on the pool;
// unhandled, that would kill the test worker. Anything else is still surfaced.
function ignoreAdminShutdown(err: Error & { code?: string }): void {
  if (err.code === '57P01') return
  console.error('pool error:', err)
}
