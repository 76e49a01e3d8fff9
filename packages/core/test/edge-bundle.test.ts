// The edge entry as a Worker bundles it: from the built package, with esbuild.
import { builtinModules } from 'node:module'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { expect, it } from 'vitest'

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]))

async function bundle(source: string) {
  const result = await build({
    stdin: { contents: source, resolveDir: import.meta.dirname, loader: 'js' },
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
  const code = result.outputFiles[0]!.contents
  return { builtins: imports.filter((path) => path.startsWith('node:') || NODE_BUILTINS.has(path)), inputs: Object.keys(result.metafile.inputs), code }
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`

it('the edge entry (producer and queue runtime) bundles without Node built-ins, any driver, prom-client or OpenTelemetry', async () => {
  const { builtins, inputs, code } = await bundle("export * from '@pgq/core/edge'")
  expect(builtins).toEqual([])
  expect(inputs.some((path) => path.endsWith('dist/runtime/queue.js'))).toBe(true)
  // Tracing takes the caller's OpenTelemetry API object; the gauges' renderer is pgq's own.
  expect(inputs.some((path) => path.endsWith('dist/observability/tracing.js'))).toBe(true)
  expect(inputs.filter((path) => /node_modules\/(pg|@neondatabase|ws|prom-client|@opentelemetry)\//.test(path))).toEqual([])
  console.log(`@pgq/core/edge: ${kib(code.length)} minified, ${kib(gzipSync(code).length)} min+gz`)
})

it('a Worker with the Neon driver and the Hono app bundles without Node built-ins', async () => {
  const source = [
    "export { createQueue } from '@pgq/core/edge'",
    "export { neonServerlessDriver } from '@pgq/core/neon-serverless'",
    "export { createQueueApi } from '@pgq/hono'",
    "export { scheduledHandler } from '@pgq/hono/workers'",
  ].join('\n')
  const { builtins, inputs, code } = await bundle(source)
  expect(builtins).toEqual([])
  expect(inputs.some((path) => path.includes('node_modules/@neondatabase/serverless/'))).toBe(true)
  console.log(`Worker bundle (edge + Neon driver + Hono app): ${kib(code.length)} minified, ${kib(gzipSync(code).length)} min+gz`)
})
