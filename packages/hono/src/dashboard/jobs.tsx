import type { Job, JobId, JobState, LogEntry } from '@pgq/core/edge'
import { jsonText, Status, Time } from './format.js'
import { ActionForm, Layout } from './layout.js'
import { TracebackView } from './traceback.js'
import type { View } from './view.js'

/** The lookup form: a job id or a dedupe key. */
export function LookupForm({ view, id = '', dedupeKey = '' }: { view: View; id?: string; dedupeKey?: string }) {
  return (
    <form method="get" action={view.to('/jobs')} class="filters">
      <label>
        Job id
        <input name="id" inputmode="numeric" value={id} />
      </label>
      <label>
        or dedupe key
        <input name="key" value={dedupeKey} />
      </label>
      <button type="submit">Find</button>
    </form>
  )
}

export function LookupPage({ view, notFound }: { view: View; notFound?: string }) {
  return (
    <Layout view={view} title="Jobs" section="jobs">
      <h1>Find a job</h1>
      <LookupForm view={view} />
      {notFound && <p class="flash flash-error">{notFound}</p>}
    </Layout>
  )
}

export interface JobData {
  id: JobId
  state: JobState
  job: Job | null
  history: LogEntry[]
}

export function JobPage({ view, data }: { view: View; data: JobData }) {
  const { id, state, job, history } = data
  const cancelable = state.inQueue && (state.status === 'queued' || state.status === 'picked')
  const held = state.inQueue && state.status === 'failed'
  const entrypoint = job?.entrypoint ?? history.at(-1)?.entrypoint ?? 'unknown'
  return (
    <Layout view={view} title={`Job ${id}`} section="jobs">
      <LookupForm view={view} />
      <h1>
        Job {id} <Status status={state.status} />
      </h1>
      <p>
        {held && (
          <ActionForm view={view} action={`/jobs/${id}/requeue`}>
            <button type="submit">Requeue</button>
          </ActionForm>
        )}{' '}
        {cancelable && (
          <ActionForm view={view} action={`/jobs/${id}/cancel`}>
            <button type="submit" class="danger">
              Cancel
            </button>
          </ActionForm>
        )}
      </p>
      <dl class="fields">
        <dt>Entrypoint</dt>
        <dd>{entrypoint}</dd>
        <dt>Status</dt>
        <dd data-field="status">{state.status ?? 'unknown'}</dd>
        <dt>Attempts</dt>
        <dd data-field="attempts">
          {state.attempts}
          {job && ` of ${job.maxAttempts} (then ${job.onExhausted === 'hold' ? 'held' : 'dropped'})`}
        </dd>
        {job && (
          <>
            <dt>Priority</dt>
            <dd>{job.priority}</dd>
            <dt>Run at</dt>
            <dd>
              <Time at={job.runAt} /> <span class="muted">({<Time at={job.runAt} now={view.now} />})</span>
            </dd>
            <dt>Enqueued</dt>
            <dd>
              <Time at={job.created} />
            </dd>
            <dt>Dedupe key</dt>
            <dd>{job.dedupeKey ?? <span class="muted">none</span>}</dd>
            <dt>Worker</dt>
            <dd>{job.workerId ?? <span class="muted">none</span>}</dd>
            <dt>Depends on</dt>
            <dd data-field="depends-on">
              {job.dependsOn?.length ? job.dependsOn.map((parent) => <a href={view.to(`/jobs/${parent}`)}>#{parent} </a>) : <span class="muted">none</span>}
            </dd>
          </>
        )}
      </dl>
      {state.progress != null && (
        <>
          <h2>Progress</h2>
          <pre data-field="progress">{jsonText(state.progress)}</pre>
        </>
      )}
      {state.result != null && (
        <>
          <h2>Result</h2>
          <pre data-field="result">{jsonText(state.result)}</pre>
        </>
      )}
      {job ? (
        <>
          <h2>Payload</h2>
          <pre data-field="payload">{jsonText(job.payload)}</pre>
          <h2>Headers</h2>
          <pre>{jsonText(job.headers)}</pre>
        </>
      ) : (
        <p class="muted">The job has left the queue: its payload and headers are not kept, its history is.</p>
      )}
      <h2>History</h2>
      <table id="history">
        <thead>
          <tr>
            <th>At</th>
            <th>Status</th>
            <th class="num">Attempts</th>
            <th>Traceback</th>
          </tr>
        </thead>
        <tbody>
          {history.length === 0 && (
            <tr>
              <td colspan={4} class="muted">
                Nothing logged yet.
              </td>
            </tr>
          )}
          {history.map((entry) => (
            <tr>
              <td>
                <Time at={entry.created} />
              </td>
              <td>
                <Status status={entry.status} />
              </td>
              <td class="num">{entry.attempts}</td>
              <td>{entry.traceback ? <TracebackView traceback={entry.traceback} /> : <span class="muted">–</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Layout>
  )
}
