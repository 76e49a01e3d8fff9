// @pgq/core/prometheus (Node): this process's worker counters and run-duration histograms in
// a prom-client registry, from the queue's events. prom-client is an optional peer, loaded
// on first use. The queue's state (jobs by status, oldest wait) is not here: every process
// would report the same numbers; GET /metrics of @pgq/hono reads those from the database.
import type { Counter, Gauge, Histogram, Registry } from 'prom-client'
import { lazyPeer } from '../driver/peer.js'
import type { QueueEvents } from '../runtime/queue-events.js'
import type { RunOutcome } from './tracing.js'

const loadPromClient = lazyPeer('prom-client', "pgq's Prometheus metrics (@pgq/core/prometheus)", () => import('prom-client'))

/** What collectQueueMetrics needs of a queue: its events (any createQueue(...) result fits). */
export interface QueueEventSource {
  on<K extends keyof QueueEvents>(name: K, listener: (event: QueueEvents[K]) => void): () => void
}

export interface QueueMetricsOptions {
  /** Where the metrics are registered. Default prom-client's global `register`. */
  registry?: Registry
  /** Put before every metric name. Default 'pgq_'. */
  prefix?: string
  /** The run-duration histogram's buckets, in seconds. Default 5 ms to 5 min. */
  buckets?: number[]
}

/** Seconds: most jobs take milliseconds, some minutes. */
export const DEFAULT_RUN_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]

/** The histogram's outcome label: the run span's pgq.job.outcome for runs that finished. */
type FinishedOutcome = Extract<RunOutcome, 'succeeded' | 'retried' | 'held' | 'failed'>

/**
 * Registers this process's job counters, a running-jobs gauge and the run-duration histogram
 * in the registry and keeps them up to date from the queue's events. Resolves to an
 * unsubscribe (the metrics stay registered). Metrics already in the registry under the same
 * name are reused, so several queues of one process can share them.
 */
export async function collectQueueMetrics(queue: QueueEventSource, options: QueueMetricsOptions = {}): Promise<() => void> {
  const prom = await loadPromClient()
  const registry = options.registry ?? prom.register
  const prefix = options.prefix ?? 'pgq_'
  const registers = [registry]
  function metric<M>(name: string, make: (name: string) => M): M {
    return (registry.getSingleMetric(prefix + name) as M | undefined) ?? make(prefix + name)
  }
  const counter = (name: string, help: string, labelNames: string[]) =>
    metric<Counter>(name, (fullName) => new prom.Counter({ name: fullName, help, labelNames, registers }))
  const started = counter('jobs_started_total', 'Jobs this process started running, by entrypoint.', ['entrypoint'])
  const succeeded = counter('jobs_succeeded_total', 'Runs that succeeded in this process, by entrypoint.', ['entrypoint'])
  const retried = counter('jobs_retried_total', 'Runs that failed in this process and will be retried, by entrypoint.', ['entrypoint'])
  const failed = counter('jobs_failed_total', 'Runs that failed for good in this process (attempts ran out: held or dropped), by entrypoint.', ['entrypoint'])
  const lost = counter('jobs_lost_total', 'Running jobs this process stopped holding (canceled, or rescued by another worker), by entrypoint.', ['entrypoint', 'reason'])
  const errors = counter('worker_errors_total', "Background steps of this process's workers that failed (and are retried), by step.", ['during'])
  const running = metric<Gauge>('worker_jobs_running', (name) => new prom.Gauge({ name, help: 'Jobs running in this process now, by entrypoint.', labelNames: ['entrypoint'], registers }))
  const duration = metric<Histogram>(
    'job_run_duration_seconds',
    (name) =>
      new prom.Histogram({
        name,
        help: 'How long runs took in this process, in seconds, by entrypoint and outcome (succeeded, retried, held, failed: dropped).',
        labelNames: ['entrypoint', 'outcome'],
        buckets: options.buckets ?? DEFAULT_RUN_BUCKETS,
        registers,
      }),
  )

  const finished = (entrypoint: string, outcome: FinishedOutcome, durationMs: number) => {
    running.dec({ entrypoint })
    duration.observe({ entrypoint, outcome }, durationMs / 1000)
  }
  const unsubscribe = [
    queue.on('job:started', ({ job }) => {
      started.inc({ entrypoint: job.entrypoint })
      running.inc({ entrypoint: job.entrypoint })
    }),
    queue.on('job:succeeded', ({ job, durationMs }) => {
      succeeded.inc({ entrypoint: job.entrypoint })
      finished(job.entrypoint, 'succeeded', durationMs)
    }),
    queue.on('job:retried', ({ job, durationMs }) => {
      retried.inc({ entrypoint: job.entrypoint })
      finished(job.entrypoint, 'retried', durationMs)
    }),
    queue.on('job:failed', ({ job, action, durationMs }) => {
      failed.inc({ entrypoint: job.entrypoint })
      finished(job.entrypoint, action === 'hold' ? 'held' : 'failed', durationMs)
    }),
    queue.on('job:lost', ({ job, reason }) => {
      lost.inc({ entrypoint: job.entrypoint, reason })
      running.dec({ entrypoint: job.entrypoint })
    }),
    queue.on('worker:error', ({ during }) => errors.inc({ during })),
  ]
  return () => {
    for (const off of unsubscribe) off()
  }
}
