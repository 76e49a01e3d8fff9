import { builtinModules } from 'node:module'
import { resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { expect, it } from 'vitest'

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]))

it('the edge entry bundles for workers without any Node built-in', async () => {
  const result = await build({
    entryPoints: [resolve(import.meta.dirname, '../src/edge.ts')],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['workerd', 'worker', 'browser'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  })
  const imports = Object.values(result.metafile.inputs).flatMap((input) => input.imports.map((i) => i.path))
  const builtins = imports.filter((path) => path.startsWith('node:') || NODE_BUILTINS.has(path))
  expect(builtins).toEqual([])
  const code = result.outputFiles[0]!.contents
  const gzipped = gzipSync(code).length
  console.log(`edge entry: ${(code.length / 1024).toFixed(1)} KiB minified, ${(gzipped / 1024).toFixed(1)} KiB gzipped`)
  expect(gzipped).toBeGreaterThan(1000) // it really bundled the driver, Drizzle and pgq
})
