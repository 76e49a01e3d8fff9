// @pgq/core from its build (packages/core/dist), or a patched, built copy of it named by
// PGQ_BENCH_CORE_ENTRY (the copy's dist/index.js), so a candidate change can be measured
// without touching the workspace package. Shared by the bench and pgq's worker (plain node).
import { pathToFileURL } from 'node:url'

const entry = process.env.PGQ_BENCH_CORE_ENTRY
if (entry && !/\.m?js$/.test(entry)) {
  throw new Error(`PGQ_BENCH_CORE_ENTRY must name a built entry (a copy's dist/index.js), not ${entry}: pgq's workers run under plain node`)
}

export const core = await import(entry ? pathToFileURL(entry).href : '@pgq/core')
