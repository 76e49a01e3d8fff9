// createDashboard: the pages and actions behind their guards, in the order they must run.
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { HTTPException } from 'hono/http-exception'
import { basePath } from 'hono/route'
import { secureHeaders } from 'hono/secure-headers'
import { tokenMatches, tokenProblem } from '../auth.js'
import { queueScope } from '../queue-scope.js'
import { actionRoutes } from './actions.js'
import { formTokenCheck, originCheck } from './csrf.js'
import { type DashboardEnv, to } from './env.js'
import { ErrorPage, onDashboardError } from './error-page.js'
import { takeFlash } from './flash.js'
import { ICON_PATH, icon } from './icon.js'
import { keysFor } from './keys.js'
import { LoginPage } from './login.js'
import { type DashboardOptions, dashboardConfig } from './options.js'
import { pageRoutes } from './pages.js'
import { formOf } from './params.js'
import { render } from './render.js'
import { authenticate, endSession, startSession } from './session.js'
import { viewOf } from './view.js'

/** Forms are small; the largest posts up to 1000 job ids. */
const MAX_FORM_BYTES = 64 * 1024

const REFUSALS = {
  missing: undefined,
  wrong: 'Wrong token.',
  expired: 'Your session has expired or is no longer valid: log in again.',
}

/**
 * The web dashboard as a Hono app: mount it with `app.route('/dashboard', createDashboard(...))`
 * (links follow the mount path). Reading needs a login (a session cookie) or the bearer token;
 * every change is a POST checked against CSRF twice (Origin, and the session's form token).
 */
export function createDashboard<Bindings extends object = object>(options: DashboardOptions<Bindings>): Hono<DashboardEnv> {
  const config = dashboardConfig(options)
  const secure = config.secureCookie
  const app = new Hono<DashboardEnv>()
  app.onError(onDashboardError)
  app.use(async (c, next) => {
    c.set('base', basePath(c).replace(/\/+$/, ''))
    await next()
    // Pages are never cached; the icon says how long it may be.
    if (!c.res.headers.has('cache-control')) c.header('cache-control', 'no-store')
  })
  // No scripts at all; inline styles only; images (the icon) from here; no framing; forms post only here.
  app.use(
    secureHeaders({
      contentSecurityPolicy: { defaultSrc: ["'none'"], styleSrc: ["'unsafe-inline'"], imgSrc: ["'self'"], formAction: ["'self'"], frameAncestors: ["'none'"], baseUri: ["'none'"] },
      referrerPolicy: 'same-origin',
      // HSTS is the operator's choice for the whole domain (and includeSubDomains), not a library's.
      strictTransportSecurity: false,
      // As frame-ancestors 'none', for browsers without CSP Level 2.
      xFrameOptions: 'DENY',
    }),
  )
  app.use(originCheck(config.origin))
  app.use(bodyLimit({ maxSize: MAX_FORM_BYTES, onError: () => { throw new HTTPException(413, { message: `A form must be at most ${MAX_FORM_BYTES} bytes.` }) } }))
  // Before any check: every page links it, the login and "not configured" pages too.
  app.get(ICON_PATH, icon)
  // Never open: without a usable token configured, nothing else is served.
  app.use(async (c, next) => {
    const token = config.tokenFor(c.env as object)
    const problem = tokenProblem(token)
    if (problem) return render(c, <ErrorPage view={viewOf(c)} status={500} message={`The dashboard is not configured: ${problem}.`} />, 500)
    c.set('keys', await keysFor(token!))
    await next()
  })

  app.get('/login', (c) => render(c, <LoginPage view={viewOf(c)} />))
  app.post('/login', async (c) => {
    const given = (await formOf(c))['token']
    if (typeof given !== 'string' || !(await tokenMatches(given, config.tokenFor(c.env as object)!))) {
      return render(c, <LoginPage view={viewOf(c)} problem={REFUSALS.wrong} />, 401)
    }
    await startSession(c, config.sessionTtlMs, secure)
    return c.redirect(to(c, ''), 303)
  })

  app.use(async (c, next) => {
    const auth = await authenticate(c, config.tokenFor(c.env as object)!)
    if ('refused' in auth) {
      if (auth.refused === 'expired') endSession(c, secure)
      c.header('www-authenticate', 'Bearer realm="pgq"')
      return render(c, <LoginPage view={viewOf(c)} problem={REFUSALS[auth.refused]} />, 401)
    }
    c.set('session', auth.session)
    await next()
  })
  app.use(formTokenCheck())
  app.post('/logout', (c) => {
    endSession(c, secure)
    return c.redirect(to(c, '/login'), 303)
  })
  app.use(async (c, next) => {
    if (c.req.method === 'GET') c.set('flash', await takeFlash(c, secure))
    await next()
  })
  app.use(queueScope(config.scopeFor))
  app.route('/', pageRoutes())
  app.route('/', actionRoutes(secure))
  app.all('*', (c) => {
    if (c.req.path === `${c.get('base')}/`) return c.redirect(to(c, ''), 301)
    throw new HTTPException(404, { message: 'No such dashboard page.' })
  })
  return app
}
