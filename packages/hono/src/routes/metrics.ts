import { ConfigurationError, PROMETHEUS_CONTENT_TYPE, queueGauges, renderPrometheusText } from '@pgq/core/edge'
import { Hono } from 'hono'
import type { QueueVariables } from '../context.js'
import { checkOptionNames } from '../option-names.js'

/**
 * More exposition text for GET /metrics: a prom-client Registry (its metrics()), or a function
 * that returns text, e.g. the registry that @pgq/core/prometheus's collectQueueMetrics fills.
 */
export type MetricsSource = { metrics(): Promise<string> | string } | (() => Promise<string> | string)

export interface MetricsOptions {
  /** Appended after pgq's gauges, in order. Their metric names must not repeat pgq's (pgq_jobs, ...). */
  append?: MetricsSource | readonly MetricsSource[]
  /** Also the table-health gauges (schema version, xmin horizon, dead tuples, expired leases, unfired schedules): a few more catalog reads per scrape. Default true. */
  health?: boolean
}

/** GET /metrics: the queue's state from the database, in Prometheus' text format. */
export function metricsRoutes(options: MetricsOptions = {}) {
  checkOptionNames(options, ['append', 'health'], 'metrics')
  if (options.health !== undefined && typeof options.health !== 'boolean') throw new ConfigurationError('metrics health must be true or false')
  const append = options.append === undefined ? [] : Array.isArray(options.append) ? options.append : [options.append as MetricsSource]
  append.forEach((source, i) => {
    if (typeof source !== 'function' && typeof (source as { metrics?: unknown })?.metrics !== 'function') {
      throw new ConfigurationError(`metrics.append[${i}] must be a prom-client Registry (with metrics()) or a function returning exposition text`)
    }
  })
  const health = options.health ?? true
  return new Hono<QueueVariables>().get('/metrics', async (c) => {
    const queue = c.get('queue')
    const [overview, policies, report] = await Promise.all([queue.overview(), queue.entrypointPolicies(), health ? queue.health() : undefined])
    let text = renderPrometheusText(queueGauges({ overview, policies, health: report }))
    for (const source of append) {
      const more = await (typeof source === 'function' ? source() : source.metrics())
      text += more.endsWith('\n') || more === '' ? more : `${more}\n`
    }
    return c.body(text, 200, { 'content-type': PROMETHEUS_CONTENT_TYPE })
  })
}
