import type { PolicyConflict } from '../queue/fleet.js'
import type { PruneResult } from '../queue/retention.js'
import type { Job, Traceback } from '../types.js'
import type { ScheduleFiring } from './schedules.js'

/** What a queue reports; subscribe with queue.on(name, listener) for logs and metrics. */
export interface QueueEvents {
  'job:started': { job: Job; workerId: string }
  'job:succeeded': { job: Job; durationMs: number }
  'job:retried': { job: Job; error: unknown; traceback: Traceback; delayMs: number; durationMs: number }
  'job:failed': { job: Job; error: unknown; traceback: Traceback; action: 'hold' | 'delete'; durationMs: number }
  /**
   * A job succeeded, but what its handler returned was not stored (its result reads null):
   * not JSON that survives the round trip, or more than maxResultBytes. `field` and `reason`
   * say where and why, never the value. Without a listener pgq prints a warning.
   */
  'job:result-dropped': { job: Job; field: string; reason: string }
  /** The worker stopped holding a running job (canceled, or rescued by another worker); its signal was aborted. */
  'job:lost': { job: Job; reason: 'canceled' | 'not-held' }
  'listener:lost': { error: Error }
  'listener:restored': Record<string, never>
  /** A background step failed; the worker carries on and tries again. */
  'worker:error': { error: unknown; during: 'start' | 'claim' | 'flush' | 'heartbeat' | 'listener' | 'count' | 'schedule' | 'prune' }
  /** A retention pass here (this worker held the pruner's lease) deleted something. */
  'retention:pruned': PruneResult
  /** A schedule's tick fired here (enqueued its job, or ran its inline handler). */
  'schedule:fired': ScheduleFiring
  /**
   * This queue's registration overwrote a stored policy field that another deployment (or
   * an operator) had set otherwise: the last registration wins. Without a listener pgq
   * prints a warning.
   */
  'policy:conflict': PolicyConflict
}
