import { pathToFileURL } from 'node:url'

/**
 * @pgq/core, or a patched copy of it named by PGQ_BENCH_CORE_ENTRY (its src/index.ts), so a
 * candidate change can be measured without touching the workspace package.
 */
export const core: typeof import('@pgq/core') = await import(
  process.env.PGQ_BENCH_CORE_ENTRY ? pathToFileURL(process.env.PGQ_BENCH_CORE_ENTRY).href : '@pgq/core'
)
