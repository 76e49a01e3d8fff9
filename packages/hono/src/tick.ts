import type { RunSummary } from '@pgq/core'
import type { AppQueue } from './types.js'

export interface TickOptions {
  /** The whole tick's budget: firing schedules plus draining. */
  timeBudgetMs: number
  /** Drain only these entrypoints. Default: all registered. */
  entrypoints?: string[]
}

export interface TickResult {
  /** Schedules fired during this tick. */
  schedules: unknown[]
  summary: RunSummary
}

/** One serverless invocation's work: fire the schedules that are due, then drain in the time left. */
export async function tick(queue: AppQueue, options: TickOptions): Promise<TickResult> {
  const started = Date.now()
  const fire = (queue as { fireDueSchedules?: () => Promise<unknown[]> }).fireDueSchedules
  const schedules = fire ? await fire.call(queue) : []
  const timeBudgetMs = Math.max(1, options.timeBudgetMs - (Date.now() - started))
  const summary = await queue.run({ mode: 'drain', timeBudgetMs, entrypoints: options.entrypoints })
  return { schedules, summary }
}
