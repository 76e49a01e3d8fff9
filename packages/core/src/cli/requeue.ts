import type { RequeueTarget } from '../queue/jobs.js'
import { entrypointFlags, jobIds } from './arguments.js'
import { type CliIo, type ConnectionFlags, line, UsageError } from './context.js'
import { count, printJson } from './format.js'
import { withProducer } from './session.js'

type RequeueFlags = ConnectionFlags & { entrypoint?: string[]; all?: boolean; json?: boolean }

/**
 * Puts held jobs back in the queue (attempts reset): by id, every held job of some
 * entrypoints, or all of them. Exit 1 if an id given was not held (it is left as it is).
 */
export async function requeue(flags: RequeueFlags, io: CliIo, args: string[]): Promise<number> {
  const ids = jobIds(args, 'job id', true)
  const entrypoints = entrypointFlags(flags.entrypoint) ?? []
  const forms = [ids.length > 0, entrypoints.length > 0, flags.all === true].filter(Boolean).length
  if (forms === 0) throw new UsageError('name the held jobs to requeue: job ids, --entrypoint <name> (repeatable) or --all')
  if (forms > 1) throw new UsageError('give job ids, --entrypoint or --all, one of them')
  const target: RequeueTarget = ids.length > 0 ? ids : entrypoints.length > 0 ? { entrypoints } : {}
  const requeued = await withProducer(flags, io, ({ producer }) => producer.requeue(target))
  const back = new Set(requeued)
  const notHeld = ids.filter((id) => !back.has(id))
  if (flags.json) printJson(io, { requeued, count: requeued.length, notHeld })
  else {
    line(io.stdout, requeued.length === 0 ? 'requeued no jobs' : `requeued ${count(requeued.length, 'job')}: ${requeued.join(', ')}`)
    if (notHeld.length > 0) line(io.stderr, `pgq: not held, left as they are: ${notHeld.join(', ')}`)
  }
  return notHeld.length > 0 ? 1 : 0
}
