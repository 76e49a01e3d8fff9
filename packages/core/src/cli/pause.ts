import { entrypointName, single } from './arguments.js'
import { type CliIo, type ConnectionFlags, line } from './context.js'
import { printJson } from './format.js'
import { withProducer } from './session.js'

type PauseFlags = ConnectionFlags & { json?: boolean }

/** pause: no worker claims the entrypoint's jobs (running ones finish, enqueue still works); resume undoes it. */
export async function setPaused(paused: boolean, flags: PauseFlags, io: CliIo, args: string[]): Promise<number> {
  const entrypoint = entrypointName(single(args, 'entrypoint'), 'the entrypoint')
  const policy = await withProducer(flags, io, ({ producer }) => (paused ? producer.pause(entrypoint) : producer.resume(entrypoint)))
  if (flags.json) printJson(io, policy)
  else line(io.stdout, paused ? `paused ${entrypoint}: no worker claims its jobs until pgq resume ${entrypoint}` : `resumed ${entrypoint}`)
  return 0
}
