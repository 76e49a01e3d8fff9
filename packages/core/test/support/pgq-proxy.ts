// The real `pgq proxy` (the built binary), spawned for a test, ready once it prints its address.
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const PGQ_BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url))

export interface RunningProxy {
  child: ChildProcess
  port: number
  output: () => string
  exit: Promise<number | null>
}

/** Spawns `pgq proxy --listen 127.0.0.1:0 ...args` and waits for its "listening" line. */
export async function startPgqProxy(args: string[]): Promise<RunningProxy> {
  const child = spawn(process.execPath, [PGQ_BIN, 'proxy', '--listen', '127.0.0.1:0', ...args], { cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const port = await new Promise<number>((resolve, reject) => {
    const read = (b: Buffer) => {
      out += b
      const match = /listening on ws:\/\/127\.0\.0\.1:(\d+)/.exec(out)
      if (match) resolve(Number(match[1]))
    }
    child.stdout!.on('data', read)
    child.stderr!.on('data', read)
    void exit.then((code) => reject(new Error(`pgq proxy exited with ${code}: ${out}`)))
  })
  return { child, port, output: () => out, exit }
}
