import type { EntrypointOverview, StatisticsBucket } from '@pgq/core/edge'
import { ThroughputCharts } from './chart.js'
import { formatMs } from './format.js'
import { ActionForm, Layout } from './layout.js'
import { formatSpan } from './params.js'
import { binStatistics, weightedQuantile } from './series.js'
import type { View } from './view.js'

export const WINDOW_CHOICES = ['15m', '1h', '6h', '24h', '7d']

interface Finished {
  succeeded: number
  failed: number
  waitP95: number | null
}

/** Per entrypoint over the window: successes, failures for good, and the wait p95 (as the chart's bins). */
function finishedBy(buckets: readonly StatisticsBucket[]): Map<string, Finished> {
  const byEntrypoint = new Map<string, { succeeded: number; failed: number; waits: { value: number; weight: number }[] }>()
  for (const b of buckets) {
    const e = byEntrypoint.get(b.entrypoint) ?? { succeeded: 0, failed: 0, waits: [] }
    if (b.status === 'successful') e.succeeded += b.count
    if (b.status === 'failed' || b.status === 'exception') e.failed += b.count
    if (b.wait) e.waits.push({ value: b.wait.p95, weight: b.wait.count })
    byEntrypoint.set(b.entrypoint, e)
  }
  return new Map([...byEntrypoint].map(([name, e]) => [name, { succeeded: e.succeeded, failed: e.failed, waitP95: weightedQuantile(e.waits, 0.95) }]))
}

export interface OverviewData {
  windowText: string
  windowMs: number
  since: Date
  until: Date
  entrypoints: EntrypointOverview[]
  buckets: StatisticsBucket[]
}

export function OverviewPage({ view, data }: { view: View; data: OverviewData }) {
  const finished = finishedBy(data.buckets)
  const names = [...new Set([...data.entrypoints.map((e) => e.entrypoint), ...finished.keys()])].sort()
  const state = new Map(data.entrypoints.map((e) => [e.entrypoint, e]))
  const { bins, stepMs } = binStatistics(data.buckets, data.since, data.until)
  const choices = WINDOW_CHOICES.includes(data.windowText) ? WINDOW_CHOICES : [...WINDOW_CHOICES, data.windowText]
  return (
    <Layout view={view} title="Overview" section="overview">
      <h1>Overview</h1>
      <form method="get" action={view.to('')} class="filters">
        <label>
          Window
          <select name="window">
            {choices.map((w) => (
              <option value={w} selected={w === data.windowText}>
                last {w}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Show</button>
      </form>
      <table id="entrypoints">
        <thead>
          <tr>
            <th>Entrypoint</th>
            <th class="num">Queued</th>
            <th class="num">Scheduled</th>
            <th class="num">Running</th>
            <th class="num">Blocked</th>
            <th class="num">Held</th>
            <th class="num">Oldest due</th>
            <th class="num">Succeeded ({data.windowText})</th>
            <th class="num">Failed ({data.windowText})</th>
            <th class="num">Wait p95</th>
            <th>State</th>
          </tr>
        </thead>
        <tbody>
          {names.length === 0 && (
            <tr>
              <td colspan={11} class="muted">
                No entrypoints yet: nothing has been enqueued or registered.
              </td>
            </tr>
          )}
          {names.map((name) => {
            const now = state.get(name)
            const done = finished.get(name)
            return (
              <tr data-entrypoint={name}>
                <td>{name}</td>
                <td class="num" data-field="queued">{now?.queued ?? 0}</td>
                <td class="num" data-field="scheduled">{now?.scheduled ?? 0}</td>
                <td class="num" data-field="picked">{now?.picked ?? 0}</td>
                <td class="num" data-field="blocked">{now?.blocked ?? 0}</td>
                <td class="num" data-field="held">
                  {now?.held ? <a href={view.to(`/failures?held=held&entrypoint=${encodeURIComponent(name)}`)}>{now.held}</a> : 0}
                </td>
                <td class="num">{now?.oldestQueuedAgeMs == null ? '–' : formatMs(now.oldestQueuedAgeMs)}</td>
                <td class="num" data-field="succeeded">{done?.succeeded ?? 0}</td>
                <td class="num" data-field="failed">{done?.failed ?? 0}</td>
                <td class="num">{done?.waitP95 == null ? '–' : formatMs(done.waitP95)}</td>
                <td data-field="state">
                  {now?.paused ? <span class="status status-paused">paused</span> : 'active'}
                  {now?.concurrencyLimit != null && <span class="muted"> (limit {now.concurrencyLimit})</span>}{' '}
                  <ActionForm view={view} action={now?.paused ? '/entrypoints/resume' : '/entrypoints/pause'} fields={{ entrypoint: name }}>
                    <button type="submit">{now?.paused ? 'Resume' : 'Pause'}</button>
                  </ActionForm>
                </td>
              </tr>
            )
          })}
        </tbody>
      </table>
      <h2>
        Last {data.windowText} <span class="muted">(one point per {formatSpan(stepMs)})</span>
      </h2>
      <ThroughputCharts bins={bins} stepMs={stepMs} />
    </Layout>
  )
}
