// @pgq/core from its build (packages/core/dist), or a patched, built copy of it named by
// PGQ_BENCH_CORE_ENTRY (the copy's dist/index.js), so a candidate change can be measured
// without touching the workspace package. Shared by the bench and pgq's worker (plain node).
import { fileURLToPath, pathToFileURL } from 'node:url'

const entry = process.env.PGQ_BENCH_CORE_ENTRY
if (entry && !/\.m?js$/.test(entry)) {
  throw new Error(`PGQ_BENCH_CORE_ENTRY must name a built entry (a copy's dist/index.js), not ${entry}: pgq's workers run under plain node`)
}

const entryUrl = entry ? pathToFileURL(entry).href : import.meta.resolve('@pgq/core')

export const core = await import(entryUrl)

/** A file of that build, e.g. 'cli/main.js' (the pgq bin) or 'queue/retention.js'. */
export const coreFile = (relative) => fileURLToPath(new URL(relative, entryUrl))
