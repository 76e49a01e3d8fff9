// 3. The installed tsc checks typed consumers under strict settings with skipLibCheck off, so
// the shipped .d.ts files are checked too; and the typed-payload promise still bites.
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { bin, inProject, projectDir } from './support.ts'

interface Diagnostic {
  file: string
  line: number
  code: string
  message: string
}

/** Runs tsc -p on a config under types/; its diagnostics and the files in its program. */
async function tsc(config: string) {
  const result = await inProject(bin('tsc'), ['-p', `types/${config}`, '--pretty', 'false', '--listFiles'])
  const lines = result.stdout.split('\n')
  const diagnostics: Diagnostic[] = lines.flatMap((l) => {
    const m = /^(.+?)\((\d+),\d+\): error (TS\d+): (.*)$/.exec(l)
    return m ? [{ file: m[1]!, line: Number(m[2]), code: m[3]!, message: m[4]! }] : []
  })
  const files = lines.filter((l) => l.startsWith('/'))
  expect(files.length, `tsc printed no file list:\n${result.stdout}\n${result.stderr}`).toBeGreaterThan(0)
  // drizzle-orm's own .d.ts fail with skipLibCheck off (drizzle-team/drizzle-orm#5187): pgq's
  // public declarations must therefore never import them (the Drizzle tables live apart, on
  // @pgq/core/schema, for Drizzle users who have their own settings for drizzle-orm). Only the
  // logger's type (two small, clean files) is allowed in.
  const drizzle = files.filter((f) => /\/node_modules\/drizzle-orm\/(?!(logger|entity)\.d\.ts$)/.test(f))
  console.log(`tsc -p types/${config}: ${files.length} files, ${diagnostics.length} error(s), ${drizzle.length} drizzle-orm declarations pulled in`)
  expect(drizzle).toEqual([])
  return { code: result.code, diagnostics, files, output: result.stdout }
}

const show = (ds: Diagnostic[]) => ds.map((d) => `${d.file}(${d.line}): ${d.code} ${d.message}`).join('\n')

describe.each(['nodenext', 'bundler'])('module resolution %s', (mode) => {
  it('a consumer of @pgq/core, /edge, /neon-serverless, @pgq/hono and /workers type-checks, .d.ts included', async () => {
    const { diagnostics, files } = await tsc(`tsconfig.${mode}.json`)
    expect(show(diagnostics)).toBe('')
    // The shipped declarations really were in the program (and so were checked).
    for (const dts of ['@pgq/core/dist/index.d.ts', '@pgq/core/dist/edge.d.ts', '@pgq/core/dist/driver/neon-serverless/index.d.ts', '@pgq/hono/dist/index.d.ts', '@pgq/hono/dist/workers.d.ts']) {
      expect(files).toContain(path.join(projectDir, 'node_modules', dts))
    }
  })

  it('a wrong payload for a registered entrypoint does not compile, with the expected errors', async () => {
    const { code, diagnostics } = await tsc(`tsconfig.wrong-${mode}.json`)
    expect(code).not.toBe(0)
    const source = await readFile(path.join(projectDir, 'types/wrong-payload.ts'), 'utf8')
    const expected = source.split('\n').flatMap((text, i) => {
      const m = /\/\/ ERROR (.+)$/.exec(text)
      return m ? [{ line: i + 1, text: m[1]! }] : []
    })
    expect(expected).toHaveLength(6)
    expect(diagnostics.every((d) => d.file === 'types/wrong-payload.ts'), show(diagnostics)).toBe(true)
    expect([...new Set(diagnostics.map((d) => d.line))]).toEqual(expected.map((e) => e.line))
    for (const { line, text } of expected) {
      expect(diagnostics.filter((d) => d.line === line).map((d) => d.message).join('\n')).toContain(text)
    }
  })
})

it('the edge entries type-check without @types/node (types: [], lib ES2023 + WebWorker)', async () => {
  const { diagnostics, files } = await tsc('tsconfig.edge.json')
  expect(show(diagnostics)).toBe('')
  expect(files.filter((f) => f.includes('/node_modules/@types/node/'))).toEqual([])
  expect(files).toContain(path.join(projectDir, 'node_modules/@pgq/core/dist/edge.d.ts'))
})
