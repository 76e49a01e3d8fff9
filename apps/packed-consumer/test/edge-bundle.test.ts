// The edge entry as a bundler sees it from the consumer project: esbuild (the repo's) resolving
// only the installed packages. Prints the min+gzip size.
import { writeFile } from 'node:fs/promises'
import { builtinModules } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build, type Metafile } from 'esbuild'
import { expect, it } from 'vitest'
import { expectSuccess, inProject, projectDir, scratchDir } from './support.ts'

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]))

async function bundle(contents: string, platform: 'neutral' | 'browser') {
  const result = await build({
    stdin: { contents, resolveDir: projectDir, loader: 'js' },
    absWorkingDir: projectDir,
    bundle: true,
    minify: true,
    format: 'esm',
    platform,
    // What Workers bundlers ask for; 'neutral' has no defaults of its own.
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  })
  const code = result.outputFiles[0]!.contents
  return { code, text: result.outputFiles[0]!.text, metafile: result.metafile }
}

function importsOf(metafile: Metafile) {
  return Object.values(metafile.inputs).flatMap((input) => input.imports.map((i) => i.path))
}

it.each(['neutral', 'browser'] as const)('export * from @pgq/core/edge bundles for platform %s without node: imports', async (platform) => {
  const { code, text, metafile } = await bundle(`export * from '@pgq/core/edge'`, platform)
  const gzipped = gzipSync(code).length
  console.log(`@pgq/core/edge (esbuild, platform ${platform}): ${(code.length / 1024).toFixed(1)} KiB minified, ${(gzipped / 1024).toFixed(1)} KiB min+gzip`)
  expect(importsOf(metafile).filter((p) => p.startsWith('node:') || NODE_BUILTINS.has(p))).toEqual([])
  expect(text).not.toMatch(/["']node:[a-z_/]+["']/)
  // Everything came from the consumer's node_modules (paths are relative to it).
  expect(Object.keys(metafile.inputs).filter((p) => p !== '<stdin>' && !p.startsWith('node_modules/'))).toEqual([])
  expect(Object.keys(metafile.inputs)).toContain('node_modules/@pgq/core/dist/edge.js')
  expect(gzipped).toBeGreaterThan(5_000) // Drizzle's pg-core and pgq really are in it
})

// Regression: pgq's `import { sql } from 'drizzle-orm'` (the sideEffects-free barrel) plus the
// driver's lazy import('drizzle-orm/neon-serverless') made esbuild (and so wrangler) leave
// drizzle's sql namespace uninitialised: createQueue threw "sql.raw is not a function".
it('a bundle of createQueue + neonServerlessDriver creates a queue before any query', async () => {
  const { text, metafile } = await bundle(
    `import { createQueue } from '@pgq/core/edge'
     import { neonServerlessDriver } from '@pgq/core/neon-serverless'
     export function make() {
       const driver = neonServerlessDriver({ connectionString: 'postgresql://u@127.0.0.1:1/db' })
       return createQueue({ driver }).entrypoint('e', async () => {}).entrypoints()
     }`,
    'browser',
  )
  expect(importsOf(metafile).filter((p) => p.startsWith('node:') || NODE_BUILTINS.has(p))).toEqual([])
  const file = path.join(scratchDir, 'edge-neon-bundle.mjs')
  await writeFile(file, text)
  const script = `const { make } = await import(${JSON.stringify(pathToFileURL(file).href)}); console.log(JSON.stringify(make()))`
  const result = expectSuccess(await inProject('node', ['--input-type=module', '-e', script]))
  expect(JSON.parse(result.stdout)).toEqual(['e'])
})
