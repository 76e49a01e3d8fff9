import { jobIds } from './arguments.js'
import type { CliIo, ConnectionFlags } from './context.js'
import { line } from './context.js'
import { printJson, statusLabel, table } from './format.js'
import { withProducer } from './session.js'

type StatusFlags = ConnectionFlags & { json?: boolean }

/** Each job's status, in the order given; exit 1 if any id is unknown (never existed, or its log was pruned). */
export async function status(flags: StatusFlags, io: CliIo, args: string[]): Promise<number> {
  const ids = jobIds(args)
  const states = await withProducer(flags, io, ({ producer }) => producer.status(ids))
  if (flags.json) printJson(io, states)
  else line(io.stdout, table(['job', 'status', 'attempts', 'in queue'], states.map((s) => [s.id, statusLabel(s.status), s.status === null ? null : s.attempts, s.inQueue ? 'yes' : 'no'])))
  return states.some((s) => s.status === null) ? 1 : 0
}
