import { jobIds } from './arguments.js'
import { type CliIo, type ConnectionFlags, line } from './context.js'
import { printJson, statusLabel } from './format.js'
import { withProducer } from './session.js'

type CancelFlags = ConnectionFlags & { json?: boolean }

/** Removes jobs from the queue (running ones are aborted where they run); exit 1 if an id was not in the queue. */
export async function cancel(flags: CancelFlags, io: CliIo, args: string[]): Promise<number> {
  const ids = jobIds(args)
  const canceled = await withProducer(flags, io, ({ producer }) => producer.cancel(ids))
  const done = new Set(canceled.map((c) => c.id))
  const notInQueue = ids.filter((id) => !done.has(id))
  if (flags.json) printJson(io, { canceled, notInQueue })
  else {
    for (const c of canceled) line(io.stdout, `canceled job ${c.id} (was ${statusLabel(c.previousStatus)})`)
    if (notInQueue.length > 0) line(io.stderr, `pgq: not in the queue (finished, already canceled or unknown): ${notInQueue.join(', ')}`)
  }
  return notInQueue.length > 0 ? 1 : 0
}
