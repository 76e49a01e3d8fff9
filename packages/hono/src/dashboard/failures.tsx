import type { FailureGroup, FailureRecord } from '@pgq/core/edge'
import { Time } from './format.js'
import { ActionForm, Layout } from './layout.js'
import { TracebackView } from './traceback.js'
import type { View } from './view.js'

export const HELD_CHOICES = ['all', 'held', 'dropped'] as const
export type HeldChoice = (typeof HELD_CHOICES)[number]

export interface FailuresData {
  held: HeldChoice
  entrypoint: string
  within: string
  limit: number
  records: FailureRecord[]
  groups: FailureGroup[]
}

function Filters({ view, data }: { view: View; data: FailuresData }) {
  return (
    <form method="get" action={view.to('/failures')} class="filters">
      <label>
        Kind
        <select name="held">
          {HELD_CHOICES.map((h) => (
            <option value={h} selected={h === data.held}>
              {h === 'all' ? 'held and dropped' : h}
            </option>
          ))}
        </select>
      </label>
      <label>
        Entrypoint
        <input name="entrypoint" value={data.entrypoint} placeholder="any" />
      </label>
      <label>
        Failed within
        <input name="within" value={data.within} placeholder="e.g. 24h" size={10} />
      </label>
      <label>
        Newest
        <input name="limit" value={String(data.limit)} inputmode="numeric" size={5} />
      </label>
      <button type="submit">Filter</button>
    </form>
  )
}

function GroupRows({ view, group, records }: { view: View; group: FailureGroup; records: FailureRecord[] }) {
  const newest = records.find((r) => r.traceback)
  return (
    <>
      <tr data-fingerprint={group.fingerprint}>
        <td class="num" data-field="count">{group.count}</td>
        <td>
          <strong>{group.name}</strong>: {group.message}
          <div class="muted">{group.fingerprint}</div>
        </td>
        <td>{group.entrypoints.join(', ')}</td>
        <td>
          <Time at={group.lastAt} now={view.now} />
        </td>
        <td class="num" data-field="held">{group.heldJobIds.length}</td>
        <td>
          {group.heldJobIds.length > 0 && (
            <ActionForm view={view} action="/failures/requeue" fields={{ ids: group.heldJobIds }}>
              <button type="submit">Requeue {group.heldJobIds.length} held</button>
            </ActionForm>
          )}
        </td>
      </tr>
      <tr class="group-jobs">
        <td />
        <td colspan={5}>
          <details>
            <summary>
              {group.count} job{group.count === 1 ? '' : 's'}
            </summary>
            {newest?.traceback && <TracebackView traceback={newest.traceback} open />}
            <table>
              <thead>
                <tr>
                  <th>Job</th>
                  <th>Entrypoint</th>
                  <th>Kept</th>
                  <th class="num">Attempts</th>
                  <th>Failed</th>
                </tr>
              </thead>
              <tbody>
                {records.map((r) => (
                  <tr>
                    <td>
                      <a href={view.to(`/jobs/${r.jobId}`)}>#{r.jobId}</a>
                    </td>
                    <td>{r.entrypoint}</td>
                    <td>{r.held ? 'held' : 'dropped'}</td>
                    <td class="num">{r.attempts}</td>
                    <td>
                      <Time at={r.at} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        </td>
      </tr>
    </>
  )
}

export function FailuresPage({ view, data }: { view: View; data: FailuresData }) {
  const byFingerprint = new Map<string, FailureRecord[]>()
  for (const r of data.records) byFingerprint.set(r.fingerprint, [...(byFingerprint.get(r.fingerprint) ?? []), r])
  return (
    <Layout view={view} title="Failures" section="failures">
      <h1>Failures</h1>
      <Filters view={view} data={data} />
      <p class="muted">
        The newest {data.records.length} job{data.records.length === 1 ? '' : 's'} that failed for good, one row per error (its name and top stack frame). Held jobs can be requeued;
        dropped ones are only logged.
      </p>
      <table id="failure-groups">
        <thead>
          <tr>
            <th class="num">Jobs</th>
            <th>Error</th>
            <th>Entrypoints</th>
            <th>Last</th>
            <th class="num">Held</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {data.groups.length === 0 && (
            <tr>
              <td colspan={6} class="muted">
                No failures.
              </td>
            </tr>
          )}
          {data.groups.map((group) => (
            <GroupRows view={view} group={group} records={byFingerprint.get(group.fingerprint) ?? []} />
          ))}
        </tbody>
      </table>
    </Layout>
  )
}
