// globalSetup of the Hyperdrive Worker's tests: core's PostgreSQL (embedded unless
// PGQ_TEST_DATABASE_URL) and a database of their own with the pgq schema, for the local
// Hyperdrive binding.
import { randomBytes } from 'node:crypto'
import { migrate, withPgClient } from '@pgq/core'
import type { TestProject } from 'vitest/node'
import coreSetup from '../../../../packages/core/test/setup/global-setup.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    /** The Hyperdrive binding's local connection string. */
    hyperdriveDatabaseUrl: string
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stopServer = await coreSetup(project)
  const serverUrl = project.getProvidedContext().databaseUrl
  const name = `pgq_test_hyperdrive_${randomBytes(4).toString('hex')}`
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  // Miniflare refuses a Hyperdrive URL without a password, even where the server trusts.
  if (!url.password) url.password = 'unused'
  try {
    await withPgClient(serverUrl, (c) => c.query(`create database ${name}`))
    await withPgClient(url.toString(), (c) => migrate(c))
    project.provide('hyperdriveDatabaseUrl', url.toString())
  } catch (error) {
    await stopServer()
    throw error
  }
  return async () => {
    await withPgClient(serverUrl, (c) => c.query(`drop database if exists ${name} with (force)`))
    await stopServer()
  }
}
