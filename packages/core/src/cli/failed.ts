import { groupFailures } from '../queue/failure-groups.js'
import type { FailureQuery } from '../queue/operations.js'
import { durationFlag, entrypointFlags, integerFlag } from './arguments.js'
import { type CliIo, type ConnectionFlags, line } from './context.js'
import { count, firstLine, printJson, table, tracebackLines, when } from './format.js'
import { withProducer } from './session.js'

/** The most failures one read returns (the library's limit). */
const MAX_LIMIT = 1000

type FailedFlags = ConnectionFlags & {
  entrypoint?: string[]
  olderThan?: string
  newerThan?: string
  heldOnly?: boolean
  limit?: string
  group?: boolean
  json?: boolean
}

/** Jobs that failed for good, newest first, with their last error; or one row per fingerprint with --group. */
export async function failed(flags: FailedFlags, io: CliIo): Promise<number> {
  const query: FailureQuery = {}
  const entrypoints = entrypointFlags(flags.entrypoint)
  if (entrypoints) query.entrypoints = entrypoints
  if (flags.olderThan !== undefined) query.olderThan = durationFlag(flags.olderThan, '--older-than')
  if (flags.newerThan !== undefined) query.newerThan = durationFlag(flags.newerThan, '--newer-than')
  if (flags.heldOnly) query.held = true
  // Groups count what was read: as many as may be, unless a limit is asked for.
  if (flags.limit !== undefined) query.limit = integerFlag(flags.limit, '--limit', 1, MAX_LIMIT)
  else if (flags.group) query.limit = MAX_LIMIT
  const records = await withProducer(flags, io, ({ producer }) => producer.failures(query))

  if (flags.group) {
    const groups = groupFailures(records)
    if (flags.json) printJson(io, groups)
    else if (groups.length === 0) line(io.stdout, 'no failed jobs')
    else {
      const rows = groups.map((g) => [g.count, g.fingerprint, firstLine(g.message), g.entrypoints.join(', '), someIds(g.heldJobIds), when(g.lastAt)])
      line(io.stdout, table(['count', 'fingerprint', 'last message', 'entrypoints', 'held (requeue-able)', 'last failed'], rows, ['last message']))
      if (records.length === query.limit) line(io.stdout, `counts cover the newest ${query.limit} failures only (narrow with --entrypoint or --newer-than to see the rest)`)
    }
    return 0
  }
  if (flags.json) printJson(io, records)
  else if (records.length === 0) line(io.stdout, 'no failed jobs')
  else {
    const rows = records.map((r) => [r.jobId, r.entrypoint, r.held ? 'held' : 'dropped', r.attempts, when(r.at), tracebackLines(r.traceback, 1).join('\n') || '-'])
    line(io.stdout, table(['job', 'entrypoint', 'state', 'attempts', 'failed', 'last error'], rows, ['last error']))
    const held = records.filter((r) => r.held).length
    line(io.stdout, `${count(records.length, 'job')}, ${held} held (pgq requeue <ids> puts them back)`)
  }
  return 0
}

/** A table cell stays readable: the first ids and how many more (--json lists them all). */
function someIds(ids: readonly number[]): string {
  if (ids.length === 0) return '-'
  const shown = ids.slice(0, SHOWN_IDS).join(', ')
  return ids.length > SHOWN_IDS ? `${shown} and ${ids.length - SHOWN_IDS} more` : shown
}

const SHOWN_IDS = 5
