import { ConfigurationError } from '../errors.js'
import { type DurabilityLevel, durabilityLevel, levelOf, readPersistence, setDurability, UNLOGGED_TABLES } from '../migrations/durability.js'
import { type CliIo, type ConnectionFlags, line, resolveConnection, UsageError, withClient } from './context.js'

type DurabilityFlags = ConnectionFlags & { level?: string }

/**
 * Without --level: prints the current level (exit 1 if the tables match none). With it: sets
 * the level and prints each table it switched, then the level.
 */
export async function durability(flags: DurabilityFlags, io: CliIo): Promise<number> {
  const { url, schema } = resolveConnection(flags, io)
  let level: DurabilityLevel | undefined
  if (flags.level !== undefined) {
    try {
      level = durabilityLevel(flags.level, '--level')
    } catch (error) {
      if (error instanceof ConfigurationError) throw new UsageError(error.message)
      throw error
    }
  }
  if (level === undefined) {
    const { tables } = await withClient(url, (conn) => readPersistence(conn, { schema }))
    const current = levelOf(tables)
    if (current !== 'mixed') {
      line(io.stdout, current)
      return 0
    }
    const unlogged = [...tables].filter(([, u]) => u).map(([name]) => `${schema}.${name}`)
    line(io.stdout, `mixed: unlogged ${unlogged.join(', ')}; no level has exactly these (run pgq durability --level <level>)`)
    return 1
  }
  const wanted = level
  const result = await withClient(url, (conn) => setDurability(conn, wanted, { schema }))
  const unlogged = new Set(UNLOGGED_TABLES[wanted].map((name) => `${schema}.${name}`))
  for (const name of result.changed) line(io.stdout, `${name}: ${unlogged.has(name) ? 'unlogged' : 'logged'}`)
  line(io.stdout, result.changed.length === 0 ? `schema "${schema}" is already ${wanted}` : `schema "${schema}" is now ${wanted}`)
  return 0
}
