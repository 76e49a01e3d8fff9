// The user's module for `pgq run`: what it exports (a queue, or a function making one) and how
// it is found. The queue may come from another copy of pgq (the app's own node_modules), so
// it is recognised by its shape, not by instanceof.
import { existsSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Queue } from '../runtime/queue.js'
import { type CliIo, describeError, schemaSetting, UsageError } from './context.js'

/** What an exported factory is called with: the connection the command was given, if any. */
export interface WorkerModuleContext {
  databaseUrl: string | undefined
  schema: string | undefined
}

const isQueue = (value: unknown): value is Queue =>
  typeof value === 'object' && value !== null && ['start', 'drain', 'entrypoints', 'on', 'close'].every((k) => typeof (value as Record<string, unknown>)[k] === 'function')

/**
 * Imports the module (relative to the working directory) and returns its queue: the default
 * export, or a named `queue` export; either may be a function returning a queue or a promise
 * of one, called with { databaseUrl, schema }.
 */
export async function loadQueue(modulePath: string, flags: { databaseUrl?: string; schema?: string }, io: CliIo): Promise<Queue> {
  const schema = schemaSetting(flags, io)
  const file = path.resolve(process.cwd(), modulePath)
  if (!existsSync(file)) throw new UsageError(`no module at ${modulePath} (resolved to ${file})`)
  let exports: Record<string, unknown>
  try {
    exports = (await import(pathToFileURL(file).href)) as Record<string, unknown>
  } catch (error) {
    const hint = /\.[cm]?tsx?$/.test(file) && /Unknown file extension/.test(String(error)) ? ' (a TypeScript module needs a loader: NODE_OPTIONS="--import tsx" pgq run ...)' : ''
    throw new Error(`could not load ${modulePath}: ${describeError(error)}${hint}`)
  }
  const candidates = [exports.default, exports.queue].filter((e) => e !== undefined)
  const instance = candidates.find(isQueue)
  if (instance) {
    // Its driver is its own: a URL given here would silently not be used.
    if (flags.databaseUrl || flags.schema) throw new UsageError(`${modulePath} exports a queue with its own driver; --database-url and --schema are only passed to a module that exports a function returning a queue`)
    return instance
  }
  const factory = candidates.find((e) => typeof e === 'function') as ((c: WorkerModuleContext) => unknown) | undefined
  if (!factory) {
    const found = candidates.length === 0 ? 'it has neither a default nor a `queue` export' : `its export is a ${typeof candidates[0]}`
    throw new UsageError(`${modulePath} exports no queue (${found}): export one as the default export or as \`queue\`, or a function returning one`)
  }
  const context: WorkerModuleContext = { databaseUrl: flags.databaseUrl || io.env.DATABASE_URL || undefined, schema }
  let made: unknown
  try {
    made = await factory(context)
  } catch (error) {
    throw new Error(`${modulePath}: its queue function failed: ${describeError(error)}`)
  }
  if (!isQueue(made)) throw new UsageError(`${modulePath}: its exported function returned no queue (got ${made === null ? 'null' : typeof made})`)
  return made
}
