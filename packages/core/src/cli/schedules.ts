import { entrypointName } from './arguments.js'
import { type CliIo, type ConnectionFlags, line, UsageError } from './context.js'
import { count, printJson, table, when } from './format.js'
import { withProducer } from './session.js'

type SchedulesFlags = ConnectionFlags & { remove?: string; expression?: string; json?: boolean }

/**
 * The stored cron schedules with their next and last run (overdue: nobody fires them), or
 * with --remove deletes an entrypoint's (exit 1 if there were none). A deployment that still
 * registers the schedule stores it again when it starts.
 */
export async function schedules(flags: SchedulesFlags, io: CliIo): Promise<number> {
  if (flags.expression !== undefined && flags.remove === undefined) throw new UsageError('--expression only narrows --remove <entrypoint>')
  const entrypoint = flags.remove === undefined ? undefined : entrypointName(flags.remove, '--remove')
  if (entrypoint !== undefined) {
    const removed = await withProducer(flags, io, ({ producer }) => producer.removeSchedules(entrypoint, flags.expression))
    const what = flags.expression === undefined ? `of ${entrypoint}` : `${JSON.stringify(flags.expression)} of ${entrypoint}`
    if (flags.json) printJson(io, { entrypoint, expression: flags.expression ?? null, removed })
    else line(removed > 0 ? io.stdout : io.stderr, removed > 0 ? `removed ${count(removed, 'schedule')} ${what}` : `pgq: no stored schedule ${what}`)
    return removed > 0 ? 0 : 1
  }
  const list = await withProducer(flags, io, ({ producer }) => producer.schedules())
  if (flags.json) printJson(io, list)
  else if (list.length === 0) line(io.stdout, 'no schedules stored')
  else {
    const rows = list.map((s) => [s.entrypoint, s.expression, s.timezone, when(s.nextRun), when(s.lastRun), s.overdue ? 'OVERDUE' : 'no'])
    line(io.stdout, table(['entrypoint', 'expression', 'timezone', 'next run', 'last run', 'overdue'], rows))
  }
  return 0
}
