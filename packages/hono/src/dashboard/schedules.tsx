import type { ScheduleInfo } from '@pgq/core/edge'
import { Time } from './format.js'
import { Layout } from './layout.js'
import type { View } from './view.js'

export function SchedulesPage({ view, schedules }: { view: View; schedules: ScheduleInfo[] }) {
  return (
    <Layout view={view} title="Schedules" section="schedules">
      <h1>Schedules</h1>
      <table id="schedules">
        <thead>
          <tr>
            <th>Entrypoint</th>
            <th>Expression</th>
            <th>Timezone</th>
            <th>Next run</th>
            <th>Last run</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {schedules.length === 0 && (
            <tr>
              <td colspan={6} class="muted">
                No schedules are stored: a queue stores its schedule() calls when it starts or drains.
              </td>
            </tr>
          )}
          {schedules.map((s) => (
            <tr data-entrypoint={s.entrypoint}>
              <td>{s.entrypoint}</td>
              <td>
                <code>{s.expression}</code>
              </td>
              <td>{s.timezone}</td>
              <td>
                <Time at={s.nextRun} /> <span class="muted">({<Time at={s.nextRun} now={view.now} />})</span>
              </td>
              <td>
                <Time at={s.lastRun} />
              </td>
              <td data-field="overdue">
                {s.overdue && (
                  <span class="status status-overdue" title="Its next run is past due by more than the grace: no worker or cron tick is firing it.">
                    overdue
                  </span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Layout>
  )
}
