// globalSetup of the workerd tests: core's PostgreSQL (embedded unless PGQ_TEST_DATABASE_URL),
// a database with the pgq schema, and the real `pgq proxy` in front of it: the Worker reaches
// Postgres the way it would reach a self-hosted one in production.
import { randomBytes } from 'node:crypto'
import { migrate, withPgClient } from '@pgq/core'
import type { TestProject } from 'vitest/node'
import coreSetup from '../../../../packages/core/test/setup/global-setup.ts'
import { type RunningProxy, startPgqProxy } from '../../../../packages/core/test/support/pgq-proxy.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    /** A database of its own with pgq installed, for the Worker's DATABASE_URL. */
    workerDatabaseUrl: string
    /** Port of the `pgq proxy` process that fronts it (the Worker's PGQ_WS_PROXY). */
    pgqProxyPort: number
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stopServer = await coreSetup(project)
  const serverUrl = project.getProvidedContext().databaseUrl
  const name = `pgq_test_workerd_${randomBytes(4).toString('hex')}`
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  let proxy: RunningProxy['child'] | undefined
  try {
    await withPgClient(serverUrl, (c) => c.query(`create database ${name}`))
    await withPgClient(url.toString(), (c) => migrate(c))
    // Only the test database's host:port is allowed.
    const started = await startPgqProxy(['--database-url', url.toString()])
    proxy = started.child
    project.provide('workerDatabaseUrl', url.toString())
    project.provide('pgqProxyPort', started.port)
  } catch (error) {
    proxy?.kill('SIGKILL')
    await stopServer()
    throw error
  }
  return async () => {
    const exited = new Promise((resolve) => proxy!.once('exit', resolve))
    proxy!.kill('SIGTERM')
    await exited
    await withPgClient(serverUrl, (c) => c.query(`drop database if exists ${name} with (force)`))
    await stopServer()
  }
}
