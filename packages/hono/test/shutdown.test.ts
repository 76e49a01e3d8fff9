// serve() on SIGTERM in a real process: the worker stops within its shutdownTimeout, and the
// process then ends even while an abandoned handler (one that ignores its signal) holds a timer.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestDatabase } from '../../core/test/setup/database.js'
import { freshDatabase } from './support.js'

let db: TestDatabase
beforeAll(async () => {
  db = await freshDatabase('hono_shutdown')
})
afterAll(() => db?.drop())

describe('serve() shut down by SIGTERM', () => {
  it('exits after shutdownTimeout, though a handler ignoring its abort signal still holds a 60 s timer', { timeout: 30_000 }, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/stubborn-server.ts', import.meta.url))], {
      env: { ...process.env, DATABASE_URL: db.url },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    const seen = (pattern: RegExp) =>
      new Promise<void>((resolve) => {
        const look = () => pattern.test(out) && (child.stdout!.off('data', onData), resolve())
        const onData = (d: Buffer) => {
          out += d.toString()
          look()
        }
        child.stdout!.on('data', onData)
        look()
      })
    try {
      await seen(/"url"/)
      const { url } = JSON.parse(out.split('\n')[0]!) as { url: string }
      const res = await fetch(`${url}/jobs`, { method: 'POST', headers: { authorization: 'Bearer t', 'content-type': 'application/json' }, body: '{"entrypoint":"stubborn"}' })
      expect(res.status).toBe(201)
      await seen(/^started$/m)
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      // Before, the process stayed up until the handler's timer fired, 60 s later.
      const [code] = (await exited) as [number | null]
      expect(code).toBe(0)
      expect(out).not.toContain('handler finished')
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  })
})
