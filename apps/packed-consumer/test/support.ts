// What the test files share: the installed project from globalSetup, a fresh database per
// test, and the project's own binaries.
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import pg from 'pg'
import { expect, inject, onTestFinished } from 'vitest'
import type {} from '../setup/global-setup.ts'
import { consumerEnv, type RunResult, run } from './run.ts'

export const projectDir = inject('projectDir')
export const scratchDir = inject('scratchDir')
export const repoRoot = inject('repoRoot')
export const tarballs = inject('tarballs')

/** A binary installed in the consumer project. */
export const bin = (name: string) => path.join(projectDir, 'node_modules/.bin', name)
export const BUN = path.join(projectDir, 'node_modules/@oven/bun-linux-x64/bin/bun')
export const DENO = path.join(projectDir, 'node_modules/@deno/linux-x64-glibc/deno')

/** Runs a command in the consumer project, as its user would. */
export function inProject(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return run(command, args, { cwd: projectDir, env: consumerEnv(options.env), timeoutMs: options.timeoutMs ?? 120_000 })
}

/** Asserts a zero exit, showing the output when it is not. */
export function expectSuccess(result: RunResult): RunResult {
  const tail = (text: string) => (text.length > 4000 ? `...${text.slice(-4000)}` : text)
  expect(result, `exit ${result.code ?? result.signal}\nstdout:\n${tail(result.stdout)}\nstderr:\n${tail(result.stderr)}`).toMatchObject({ code: 0 })
  return result
}

/** The last line of stdout, parsed: the scripts print their outcome as one JSON line. */
export function lastJsonLine<T = Record<string, unknown>>(stdout: string): T {
  const line = stdout.trim().split('\n').at(-1) ?? ''
  return JSON.parse(line) as T
}

export interface TestDatabase {
  name: string
  url: string
  query<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]>
}

/** A database of its own for the current test, dropped when the test ends. */
export async function freshDatabase(prefix: string): Promise<TestDatabase> {
  const serverUrl = inject('serverUrl')
  const name = `pgq_packed_${prefix}_${randomBytes(4).toString('hex')}`
  await withClient(serverUrl, (c) => c.query(`create database ${name}`))
  onTestFinished(() => withClient(serverUrl, (c) => c.query(`drop database if exists ${name} with (force)`)).then(() => undefined))
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return {
    name,
    url: url.toString(),
    query: (text, values) => withClient(url.toString(), async (c) => (await c.query(text, values)).rows),
  }
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

/** Installs pgq's schema with the installed CLI (through npx, as the README says). */
export async function pgqInstall(db: TestDatabase): Promise<RunResult> {
  const result = expectSuccess(await inProject('npx', ['--no', '--', 'pgq', 'install', '--database-url', db.url]))
  expect(result.stdout).toMatch(/installed pgq in schema "pgq" \(version \d+\)/)
  return result
}
