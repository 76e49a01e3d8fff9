// The real `pgq` binary (dist/cli/main.js), spawned for the operations CLI tests: one-shot
// commands with optional stdin, and long-running ones (listen, run) read line by line.
import { type ChildProcess, spawn } from 'node:child_process'
import { PGQ_BIN } from './pgq-proxy.js'

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

export interface CliOptions {
  env?: Record<string, string>
  /** Written to stdin, which is then closed (it is closed at once without). */
  input?: string
  cwd?: string
}

/** Only the env we pass (no DATABASE_URL or PGQ_SCHEMA from outside). */
function cleanEnv(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { DATABASE_URL: _url, PGQ_SCHEMA: _schema, ...inherited } = process.env
  return { ...inherited, ...env }
}

/** Runs `pgq ...args` to its end. */
export function pgqCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PGQ_BIN, ...args], { cwd: options.cwd ?? '/', env: cleanEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (b: Buffer) => (stdout += b))
    child.stderr.on('data', (b: Buffer) => (stderr += b))
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(options.input ?? '')
  })
}

export interface RunningCli {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  /** Resolves once stdout or stderr (`stream`) matches, rejects if the process exits first. */
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr'): Promise<RegExpMatchArray>
  /** Resolves with the exit code. */
  exit: Promise<number | null>
}

/** Starts `pgq ...args` and leaves it running; kill it with child.kill(). */
export function startPgqCli(args: string[], options: CliOptions = {}): RunningCli {
  const child = spawn(process.execPath, [PGQ_BIN, ...args], { cwd: options.cwd ?? '/', env: cleanEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] })
  const out = { stdout: '', stderr: '' }
  const waiters = new Set<() => void>()
  const read = (stream: 'stdout' | 'stderr') => (b: Buffer) => {
    out[stream] += b
    for (const w of [...waiters]) w()
  }
  child.stdout!.on('data', read('stdout'))
  child.stderr!.on('data', read('stderr'))
  const exit = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)))
  return {
    child,
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    exit,
    waitFor(pattern, stream = 'stderr') {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(out[stream])
          if (!match) return
          waiters.delete(check)
          resolve(match)
        }
        waiters.add(check)
        check()
        void exit.then((code) => {
          if (!waiters.has(check)) return
          waiters.delete(check)
          reject(new Error(`pgq ${args[0]} exited with ${code} before printing ${pattern}: ${out.stdout}${out.stderr}`))
        })
      })
    },
  }
}
