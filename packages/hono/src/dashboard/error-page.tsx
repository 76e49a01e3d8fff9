import type { ErrorHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { logError } from '../log.js'
import type { DashboardEnv } from './env.js'
import { Layout } from './layout.js'
import { render } from './render.js'
import { type View, viewOf } from './view.js'

const TITLES: Record<number, string> = { 400: 'Bad request', 403: 'Forbidden', 404: 'Not found', 413: 'Too large', 500: 'Something went wrong', 503: 'Database unavailable' }
/** pgq's errors that mean the database, not the dashboard, is the problem: a 503 that says so. */
const DATABASE_PROBLEMS: Record<string, string> = {
  PGQ_DATABASE_UNAVAILABLE: "The queue's database is unavailable; reload this page shortly.",
  PGQ_DATABASE_ACCESS: "The queue's database refused its connection (credentials or database name); the operator must fix it.",
  PGQ_SCHEMA_OUTDATED: "The queue's database schema is older than this code: the operator must run `pgq upgrade`.",
}
const FORBIDDEN_ORIGIN = 'The form was not sent from this dashboard (its Origin is another site), so nothing was changed.'

export function ErrorPage({ view, status, message }: { view: View; status: number; message: string }) {
  const title = TITLES[status] ?? 'Error'
  return (
    <Layout view={view} title={title} section="none">
      <h1>{title}</h1>
      <p class="flash flash-error">{message}</p>
      <p>
        <a href={view.to('')}>Back to the overview</a>
      </p>
    </Layout>
  )
}

/** Errors as pages: bad parameters (400), refused forms (403), pgq's configuration errors (400); anything else a 500 without details. */
export const onDashboardError: ErrorHandler<DashboardEnv> = (error, c) => {
  const view = viewOf(c)
  if (error instanceof HTTPException) {
    // Hono's csrf middleware throws without a message.
    const message = error.message || (error.status === 403 ? FORBIDDEN_ORIGIN : TITLES[error.status] ?? 'Error')
    return render(c, <ErrorPage view={view} status={error.status} message={message} />, error.status as ContentfulStatusCode)
  }
  const code = (error as { code?: unknown }).code
  if (code === 'PGQ_CONFIGURATION') return render(c, <ErrorPage view={view} status={400} message={error.message} />, 400)
  const problem = typeof code === 'string' ? DATABASE_PROBLEMS[code] : undefined
  if (problem) {
    logError(`pgq dashboard: ${c.req.method} ${c.req.path}: ${problem}`, error)
    if (code === 'PGQ_DATABASE_UNAVAILABLE') c.header('Retry-After', '1')
    return render(c, <ErrorPage view={view} status={503} message={problem} />, 503)
  }
  logError(`pgq dashboard: ${c.req.method} ${c.req.path} failed`, error)
  return render(c, <ErrorPage view={view} status={500} message="The dashboard could not answer; the server's log says why." />, 500)
}
