import { jobIds, single } from './arguments.js'
import { type CliIo, type ConnectionFlags, line } from './context.js'
import { printJson, statusLabel, table, tracebackLines, when } from './format.js'
import { withProducer } from './session.js'

type HistoryFlags = ConnectionFlags & { json?: boolean }

/**
 * One job's log entries, oldest first, each failure with its error and first stack frames.
 * Exit 1 for a job that is neither logged nor in the queue.
 */
export async function history(flags: HistoryFlags, io: CliIo, args: string[]): Promise<number> {
  const [id] = jobIds([single(args, 'job id')]) as [number]
  const { entries, state } = await withProducer(flags, io, async ({ producer }) => {
    const entries = await producer.history(id)
    // A job not yet finished nor failed has no log row: say where it is instead.
    const [state] = entries.length === 0 ? await producer.status([id]) : []
    return { entries, state }
  })
  const unknown = entries.length === 0 && !state?.status
  if (flags.json) printJson(io, entries)
  else if (unknown) line(io.stderr, `pgq: no job ${id} (it never existed, or its log was pruned)`)
  else if (entries.length === 0) line(io.stdout, `job ${id} is ${statusLabel(state!.status)} and has no log entries yet`)
  else {
    const rows = entries.map((e) => [when(e.created), statusLabel(e.status), e.attempts, e.entrypoint, tracebackLines(e.traceback).join('\n')])
    line(io.stdout, table(['at', 'status', 'attempts', 'entrypoint', 'error'], rows, ['error']))
  }
  return unknown ? 1 : 0
}
