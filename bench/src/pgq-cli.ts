// The pgq command line of the build the bench runs on (packages/core/dist/cli/main.js, or
// PGQ_BENCH_CORE_ENTRY's copy), spawned under plain node as a user would run it.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { coreFile } from './core.mjs'
import { now } from './stats.ts'

export interface PgqCliRun {
  code: number | null
  stdout: string
  stderr: string
  ms: number
}

/** Whether this build has the command (each command's code is its own cli/<name>.js). */
export const hasPgqCommand = (name: string): boolean => existsSync(coreFile(`cli/${name}.js`))

/** `pgq <args> --database-url <url>`; resolves with its exit code and output (never rejects on exit code). */
export function runPgq(args: string[], url: string, timeoutMs = 60 * 60_000): Promise<PgqCliRun> {
  return new Promise((resolve, reject) => {
    const t0 = now()
    const child = spawn(process.execPath, [coreFile('cli/main.js'), ...args, '--database-url', url], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr, ms: now() - t0 })
    })
  })
}
