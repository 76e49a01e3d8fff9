// Cloudflare Workers adapter: the `scheduled` handler. Web APIs only, like the app itself.
import { ConfigurationError, type Duration } from '@pgq/core/edge'
import { budgetMs } from './duration.js'
import { logError } from './log.js'
import { checkOptionNames } from './option-names.js'
import { type TickResult, tick } from './tick.js'
import type { QueueScope } from './types.js'

/** The parts of Workers' ScheduledController and ExecutionContext used here. */
export interface ScheduledEventLike {
  cron: string
  scheduledTime: number
}
export interface WaitUntil {
  waitUntil(promise: Promise<unknown>): void
}

export interface ScheduledOptions<Bindings> {
  /** The same factory as createQueueApi's: a queue for this invocation and how to release it. */
  queueFor: (env: Bindings) => QueueScope
  /** Fire schedules and drain within this. Default 25 s (a Cron Trigger gets 30 s of CPU by default). */
  timeBudget?: Duration
  /** Called with each tick's result. Default: one log line. */
  onTick?: (result: TickResult, event: ScheduledEventLike) => void
}

/** A Workers `scheduled()` handler: fires due schedules, drains, releases connections in waitUntil. */
export function scheduledHandler<Bindings>(options: ScheduledOptions<Bindings>) {
  // Checked when the Worker's module loads: a typo must not wait for the first cron tick to fail.
  checkOptionNames(options, ['queueFor', 'timeBudget', 'onTick'], 'scheduledHandler')
  if (typeof options.queueFor !== 'function') throw new ConfigurationError('scheduledHandler needs { queueFor: (env) => ({ queue, end }) }')
  if (options.onTick !== undefined && typeof options.onTick !== 'function') throw new ConfigurationError('scheduledHandler onTick must be a function: (result, event) => void')
  const timeBudget = budgetMs(options.timeBudget ?? 25_000, 'scheduledHandler timeBudget')
  const onTick = options.onTick ?? logTick
  return async (event: ScheduledEventLike, env: Bindings, ctx: WaitUntil): Promise<void> => {
    const { queue, end } = options.queueFor(env)
    try {
      const result = await tick(queue, { timeBudget })
      onTick(result, event)
    } finally {
      ctx.waitUntil(end().catch((error) => logError('pgq scheduled: releasing the queue failed', error)))
    }
  }
}

function logTick({ schedules, summary }: TickResult, event: ScheduledEventLike): void {
  const { claimed, succeeded, failed, retried, remaining, stoppedBy } = summary
  console.log(`pgq tick (${event.cron}): ${schedules.length} schedule(s) fired, ${JSON.stringify({ claimed, succeeded, failed, retried, remaining, stoppedBy })}`)
}
