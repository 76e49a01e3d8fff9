// Child processes for the packed-consumer tests: one-shot commands, and services (pgq proxy,
// wrangler dev) that run in their own process group until stop() ends the whole group.
import { type ChildProcess, spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')

export interface RunResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface RunOptions {
  cwd: string
  env?: NodeJS.ProcessEnv
  timeoutMs?: number
}

/**
 * The environment of a consumer's shell: without what npm, vitest or the monorepo put in ours
 * (npm_config_*, NODE_OPTIONS, node_modules/.bin of the repo on PATH), and without colours.
 */
export function consumerEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || /^(npm_|VITEST|TINYPOOL|NODE_OPTIONS$|NODE_PATH$|INIT_CWD$|FORCE_COLOR$)/i.test(key)) continue
    env[key] = value
  }
  env.PATH = (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((dir) => dir && !dir.startsWith(repoRoot))
    .join(path.delimiter)
  return { ...env, NO_COLOR: '1', ...extra }
}

/** Runs a command to its end; never throws for a non-zero exit (the result says). */
export function run(command: string, args: string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? consumerEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk))
    const timer = setTimeout(() => {
      killGroup(child, 'SIGKILL')
      reject(new Error(`${command} ${args.join(' ')} timed out after ${options.timeoutMs} ms\n${stdout}\n${stderr}`))
    }, options.timeoutMs ?? 120_000)
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })
}

export interface Service {
  child: ChildProcess
  /** The match of `ready` in the output. */
  match: RegExpExecArray
  /** stdout and stderr so far, interleaved, without ANSI colours. */
  output(): string
  /** Resolves with the first match of `pattern` in the output after `from` (default: all of it). */
  waitFor(pattern: RegExp, options?: { from?: number; timeoutMs?: number }): Promise<RegExpExecArray>
  /** SIGTERM to the process group, SIGKILL after `graceMs`; resolves once the leader exited. */
  stop(graceMs?: number): Promise<void>
}

/** Starts a long-running command in its own process group; resolves when `ready` shows in its output. */
export function startService(command: string, args: string[], options: RunOptions & { ready: RegExp }): Promise<Service> {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? consumerEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let output = ''
  const waiters = new Set<() => void>()
  const waitFor = (pattern: RegExp, { from = 0, timeoutMs = 30_000 } = {}) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(output.slice(from))
        if (!match) return
        waiters.delete(check)
        clearTimeout(timer)
        resolve(match)
      }
      const timer = setTimeout(() => {
        waiters.delete(check)
        reject(new Error(`no ${pattern} in the output of ${command} after ${timeoutMs} ms:\n${output.slice(from)}`))
      }, timeoutMs)
      waiters.add(check)
      check()
    })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  let stopping: Promise<void> | undefined
  const stop = (graceMs = 10_000) =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        killGroup(child, 'SIGTERM')
        const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs)
        await exited
        clearTimeout(timer)
      }
      // Whatever the leader left behind in its group (workerd under wrangler) goes too.
      killGroup(child, 'SIGKILL')
    })())
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop(0)
      reject(new Error(`${command} ${args.join(' ')}: not ready after ${options.timeoutMs} ms:\n${output}`))
    }, options.timeoutMs ?? 60_000)
    const onData = (chunk: Buffer) => {
      output += stripAnsi(String(chunk))
      for (const check of [...waiters]) check()
      const match = options.ready.exec(output)
      if (match) {
        clearTimeout(timer)
        resolve({ child, match, output: () => output, waitFor, stop })
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('error', reject)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`${command} ${args.join(' ')} exited (${code ?? signal}) before it was ready:\n${output}`))
    })
  })
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    // The group is already gone.
  }
}

export function stripAnsi(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences
  return text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '')
}
