// Inside workerd: call the Worker as the runtime would, and look at the database directly.

import { env, exports } from 'cloudflare:workers'
import { Pool } from '@neondatabase/serverless'
import { useWsProxy } from '../../src/neon-proxy.js'

export const TOKEN = env.PGQ_TOKEN

/** A request to the Worker's fetch handler; `token: null` sends no Authorization header. */
export async function call(method: string, path: string, options: { body?: unknown; token?: string | null; rawBody?: string } = {}) {
  const headers = new Headers()
  const token = options.token === undefined ? TOKEN : options.token
  if (token !== null) headers.set('authorization', `Bearer ${token}`)
  let body: string | undefined
  if (options.rawBody !== undefined || options.body !== undefined) {
    headers.set('content-type', 'application/json')
    body = options.rawBody ?? JSON.stringify(options.body)
  }
  const response = await exports.default.fetch(`http://worker.test${path}`, { method, headers, body })
  const text = await response.text()
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : undefined }
}

/** SQL on the test database through the same proxy; one short-lived Pool per call. */
export async function sql<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
  useWsProxy(env.PGQ_WS_PROXY!)
  const pool = new Pool({ connectionString: env.DATABASE_URL, max: 1 })
  pool.on('error', () => undefined) // see src/worker.ts
  try {
    return (await pool.query(text, params)).rows as T[]
  } finally {
    await pool.end()
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
