// Two checks on every POST: Hono's csrf middleware (the browser's Origin / Sec-Fetch-Site must
// be this site) and the session's token in the form (`_csrf`), compared in constant time.
import type { MiddlewareHandler } from 'hono'
import { csrf } from 'hono/csrf'
import { HTTPException } from 'hono/http-exception'
import { tokenMatches } from '../auth.js'
import type { DashboardEnv } from './env.js'
import { formOf } from './params.js'

export const CSRF_FIELD = '_csrf'

export function originCheck(origin: string | string[] | undefined): MiddlewareHandler {
  return csrf(origin === undefined ? {} : { origin })
}

/** After authentication: a POST whose form lacks this session's token is refused with 403 before anything changes. */
export function formTokenCheck(): MiddlewareHandler<DashboardEnv> {
  return async (c, next) => {
    if (c.req.method !== 'POST') return next()
    const session = c.get('session')
    const form = await formOf(c)
    const given = form[CSRF_FIELD]
    if (!session || typeof given !== 'string' || !(await tokenMatches(given, session.csrfToken))) {
      throw new HTTPException(403, { message: 'The form is missing its security token or it is out of date: reload the page and try again.' })
    }
    return next()
  }
}
