import type { Producer, RunOptions, RunSummary, ScheduleFiring, WorkerHandle } from '@pgq/core'

/** What the HTTP app needs from a pgq Queue (any `createQueue(...)` result fits). */
export interface AppQueue {
  readonly producer: Producer
  entrypoints(): string[]
  run(options?: RunOptions): Promise<RunSummary>
  fireDueSchedules(): Promise<ScheduleFiring[]>
}

/** What the Node adapter needs on top: a continuous worker and a graceful close. */
export interface NodeQueue extends AppQueue {
  start(options?: RunOptions): WorkerHandle
  close(): Promise<void>
}

/** A queue made for one invocation, and how to release its connections afterwards. */
export interface QueueScope<Q extends AppQueue = AppQueue> {
  queue: Q
  /** Usually `() => driver.end()`. Workers run it in ctx.waitUntil, after the response. */
  end(): Promise<void>
}
