// The queue's state as Prometheus gauges: what the database says right now, the same for
// every process that asks (unlike a worker's counters, which are its own).
import type { EntrypointPolicy } from '../queue/fleet.js'
import type { HealthCheckName, HealthReport } from '../queue/health.js'
import type { EntrypointOverview } from '../queue/operations.js'
import type { MetricFamily, MetricSample } from './prometheus-text.js'

export interface QueueGaugeSource {
  overview: readonly EntrypointOverview[]
  policies?: readonly EntrypointPolicy[]
  health?: HealthReport
}

const STATUSES = ['queued', 'scheduled', 'picked', 'held', 'blocked'] as const

/** The health checks whose figure is a gauge of its own (durability's is a word). */
const HEALTH_GAUGES: Partial<Record<HealthCheckName, { name: string; help: string }>> = {
  'schema-version': { name: 'pgq_schema_version', help: 'The installed pgq schema version (migrations applied).' },
  'xmin-horizon': { name: 'pgq_xmin_horizon_age_seconds', help: 'Age of the oldest transaction holding back vacuum of the database, in seconds.' },
  'dead-tuples': { name: 'pgq_jobs_table_dead_tuples', help: 'Dead tuples in the jobs table (vacuum not keeping up when high).' },
  'expired-leases': { name: 'pgq_expired_leases', help: 'Running jobs whose heartbeat is older than their lease (their worker is gone).' },
  schedules: { name: 'pgq_unfired_schedules', help: 'Schedules overdue with nobody firing them, or inline ones stuck running.' },
}

const gauge = (name: string, help: string, samples: MetricSample[]): MetricFamily => ({ name, help, type: 'gauge', samples })

/** The gauges of one scrape: jobs by entrypoint and status, the oldest wait, pauses and limits, and table health. */
export function queueGauges({ overview, policies, health }: QueueGaugeSource): MetricFamily[] {
  const byEntrypoint = (value: (o: EntrypointOverview) => number) => overview.map((o) => ({ labels: { entrypoint: o.entrypoint }, value: value(o) }))
  const families = [
    gauge(
      'pgq_jobs',
      'Jobs in the queue by entrypoint and status: queued (due now), scheduled (runAt in the future), picked (running), held (attempts ran out, kept), blocked (waiting for the jobs it depends on).',
      overview.flatMap((o) => STATUSES.map((status) => ({ labels: { entrypoint: o.entrypoint, status }, value: o[status] }))),
    ),
    gauge('pgq_oldest_queued_job_age_seconds', 'How long the oldest due job has waited since its runAt, in seconds; 0 with none due.', byEntrypoint((o) => (o.oldestQueuedAgeMs ?? 0) / 1000)),
    gauge('pgq_entrypoint_paused', '1 while the entrypoint is paused fleet-wide (no worker claims it), else 0.', byEntrypoint((o) => (o.paused ? 1 : 0))),
    gauge('pgq_entrypoint_concurrency_limit', 'Most jobs of the entrypoint running at once across all workers; 0: no limit.', byEntrypoint((o) => o.concurrencyLimit ?? 0)),
  ]
  if (policies) {
    const rate = policies.map((p) => ({ labels: { entrypoint: p.name }, value: p.requestsPerSecond }))
    families.push(gauge('pgq_entrypoint_requests_per_second_limit', 'Most jobs of the entrypoint started per second across all workers; 0: no limit.', rate))
  }
  if (health) families.push(...healthGauges(health))
  return families
}

function healthGauges(health: HealthReport): MetricFamily[] {
  const ok = health.checks.map((c) => ({ labels: { check: c.name }, value: c.ok ? 1 : 0 }))
  const families = [gauge('pgq_health_check_ok', "1 when the health check passes, else 0 (see queue.health() or pgq doctor for why).", ok)]
  for (const check of health.checks) {
    const metric = HEALTH_GAUGES[check.name]
    // A check that could not run has no figure: leaving the gauge out beats a made-up 0.
    if (metric && typeof check.value === 'number') families.push(gauge(metric.name, metric.help, [{ value: check.value }]))
  }
  return families
}
