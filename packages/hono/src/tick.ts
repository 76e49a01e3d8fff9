import type { DrainSummary, Duration, ScheduleFiring } from '@pgq/core/edge'
import { budgetMs } from './duration.js'
import type { AppQueue } from './types.js'

export interface TickOptions {
  /** The whole tick's budget: firing schedules plus draining. */
  timeBudget: Duration
  /** Drain only these entrypoints. Default: all registered. */
  entrypoints?: string[]
}

export interface TickResult {
  /** Schedules fired during this tick. */
  schedules: ScheduleFiring[]
  summary: DrainSummary
}

/**
 * One serverless invocation's work: fire the schedules that are due, then drain in the time
 * left. The firings are fired here, not by the drain (maintenance off), so the result can list them.
 */
export async function tick(queue: AppQueue, options: TickOptions): Promise<TickResult> {
  const budget = budgetMs(options.timeBudget, 'timeBudget')
  const started = Date.now()
  // Inline handlers get the budget too: past it their signal aborts and the tick goes on.
  const schedules = await queue.fireDueSchedules({ timeoutMs: budget })
  const timeBudget = Math.max(1, budget - (Date.now() - started))
  // A queue with schedules but no entrypoints has nothing to drain here.
  const summary =
    queue.entrypoints().length === 0 && !options.entrypoints
      ? emptySummary()
      : await queue.drain({ timeBudget, maintenance: false, ...(options.entrypoints ? { entrypoints: options.entrypoints } : {}) })
  return { schedules, summary }
}

/** JSON-friendly firings: the error (if an inline handler threw) as its message. */
export function firingsJson(firings: ScheduleFiring[]) {
  return firings.map(({ error, ...firing }) => ({
    ...firing,
    ...(error === undefined ? {} : { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }),
  }))
}

function emptySummary(): DrainSummary {
  return { claimed: 0, succeeded: 0, failed: 0, retried: 0, lost: 0, canceled: 0, unwritten: 0, remaining: 0, durationMs: 0, stoppedBy: 'empty' }
}
