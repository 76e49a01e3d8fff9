import type { DrainOptions, DrainSummary, Producer, ScheduleFiring, StartOptions, WorkerHandle } from '@pgq/core/edge'

/** The producer methods the routes call: enqueue, requeue, cancel and look (GET /metrics: overview, policies, health). */
type JobMethods = Pick<Producer, 'enqueueMany' | 'flow' | 'requeue' | 'cancel' | 'status' | 'history' | 'job' | 'queueSize' | 'overview' | 'entrypointPolicies' | 'health'>

/** What the HTTP app needs from a pgq Queue (any `createQueue(...)` result fits). */
export interface AppQueue extends JobMethods {
  entrypoints(): string[]
  drain(options?: DrainOptions): Promise<DrainSummary>
  fireDueSchedules(options?: { timeoutMs?: number }): Promise<ScheduleFiring[]>
}

/** What the Node adapter needs on top: a continuous worker and a graceful close. */
export interface NodeQueue extends AppQueue {
  start(options?: StartOptions): WorkerHandle
  close(): Promise<void>
}

/** A queue made for one invocation, and how to release its connections afterwards. */
export interface QueueScope<Q extends AppQueue = AppQueue> {
  queue: Q
  /** Usually `() => driver.end()`. Workers run it in ctx.waitUntil, after the response. */
  end(): Promise<void>
}
