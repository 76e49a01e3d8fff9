// globalSetup of the workerd tests: core's PostgreSQL (embedded unless PGQ_TEST_DATABASE_URL),
// a database with the pgq schema, and the real `pgq proxy` in front of it: the Worker reaches
// Postgres the way it would reach a self-hosted one in production.
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
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
    /** The schema of the cross-runtime flow test, served on the Node side by vm-flow-worker.ts. */
    flowSchema: string
  }
}

const FLOW_SCHEMA = 'pgq_flows'

/** Starts the flow test's Node worker; resolves once it says it is ready. */
function startVmWorker(url: string): Promise<ChildProcess> {
  const script = fileURLToPath(new URL('./vm-flow-worker.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', script, url, FLOW_SCHEMA], { stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the flow test's Node worker exited with ${code}`)))
    child.stdout!.on('data', (chunk: Buffer) => String(chunk).includes('ready') && resolve(child))
  })
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stopServer = await coreSetup(project)
  const serverUrl = project.getProvidedContext().databaseUrl
  const name = `pgq_test_workerd_${randomBytes(4).toString('hex')}`
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  let proxy: RunningProxy['child'] | undefined
  let vmWorker: ChildProcess | undefined
  try {
    await withPgClient(serverUrl, (c) => c.query(`create database ${name}`))
    await withPgClient(url.toString(), (c) => migrate(c))
    await withPgClient(url.toString(), (c) => migrate(c, { schema: FLOW_SCHEMA }))
    vmWorker = await startVmWorker(url.toString())
    project.provide('flowSchema', FLOW_SCHEMA)
    // Only the test database's host:port is allowed.
    const started = await startPgqProxy(['--database-url', url.toString()])
    proxy = started.child
    project.provide('workerDatabaseUrl', url.toString())
    project.provide('pgqProxyPort', started.port)
  } catch (error) {
    proxy?.kill('SIGKILL')
    vmWorker?.kill('SIGKILL')
    await stopServer()
    throw error
  }
  return async () => {
    const exited = new Promise((resolve) => proxy!.once('exit', resolve))
    proxy!.kill('SIGTERM')
    await exited
    vmWorker!.removeAllListeners('exit') // startVmWorker's: exiting now is expected
    const workerExited = new Promise((resolve) => vmWorker!.once('exit', resolve))
    vmWorker!.kill('SIGTERM')
    await workerExited
    await withPgClient(serverUrl, (c) => c.query(`drop database if exists ${name} with (force)`))
    await stopServer()
  }
}
