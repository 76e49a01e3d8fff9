import type { ErrorHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { logError } from '../log.js'
import type { DashboardEnv } from './env.js'
import { Layout } from './layout.js'
import { render } from './render.js'
import { type View, viewOf } from './view.js'

const TITLES: Record<number, string> = { 400: 'Bad request', 403: 'Forbidden', 404: 'Not found', 413: 'Too large', 500: 'Something went wrong' }
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
  if ((error as { code?: unknown }).code === 'PGQ_CONFIGURATION') return render(c, <ErrorPage view={view} status={400} message={error.message} />, 400)
  logError(`pgq dashboard: ${c.req.method} ${c.req.path} failed`, error)
  return render(c, <ErrorPage view={view} status={500} message="The dashboard could not answer; the server's log says why." />, 500)
}
