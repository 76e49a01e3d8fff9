import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import { expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../../..')
const fixture = resolve(import.meta.dirname, 'fixtures/wrong-payload.ts')

it('a payload that does not match its entrypoint does not compile', async () => {
  const tsc = resolve(root, 'node_modules/.bin/tsc')
  const args = ['--noEmit', '--strict', '--skipLibCheck', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022', '--types', 'node', fixture]
  const output = await promisify(execFile)(tsc, args, { cwd: root }).then(
    (r) => r.stdout,
    (e: { stdout: string }) => e.stdout,
  )
  const errorLines = [...output.matchAll(/wrong-payload\.ts\((\d+),\d+\): error/g)].map((m) => Number(m[1]))
  const expected = readFileSync(fixture, 'utf8')
    .split('\n')
    .flatMap((line, i) => (line.includes('// ERROR') ? [i + 1] : []))
  expect(expected).toHaveLength(7)
  expect([...new Set(errorLines)]).toEqual(expected)
})
