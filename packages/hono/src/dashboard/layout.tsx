import { raw } from 'hono/html'
import type { Child } from 'hono/jsx'
import { BACK_FIELD } from './back.js'
import { CSRF_FIELD } from './csrf.js'
import { ICON_PATH } from './icon.js'
import { STYLES } from './styles.js'
import type { View } from './view.js'

export type Section = 'overview' | 'jobs' | 'failures' | 'schedules' | 'none'

const NAV: [Section, string, string][] = [
  ['overview', '', 'Overview'],
  ['failures', '/failures', 'Failures'],
  ['jobs', '/jobs', 'Jobs'],
  ['schedules', '/schedules', 'Schedules'],
]

export function Layout({ view, title, section, children }: { view: View; title: string; section: Section; children?: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · pgq`}</title>
        <link rel="icon" type="image/svg+xml" href={view.to(ICON_PATH)} />
        <style>{raw(STYLES)}</style>
      </head>
      <body>
        <header>
          <span class="brand">pgq</span>
          {view.session && (
            <nav>
              {NAV.map(([key, path, label]) => (
                <a href={view.to(path)} class={key === section ? 'active' : undefined}>
                  {label}
                </a>
              ))}
            </nav>
          )}
          {view.session?.via === 'cookie' && (
            <ActionForm view={view} action="/logout">
              <button type="submit">Log out</button>
            </ActionForm>
          )}
        </header>
        <main>
          {view.flash && (
            <p class={`flash flash-${view.flash.kind}`} role="status">
              {view.flash.text}
            </p>
          )}
          {children}
        </main>
      </body>
    </html>
  )
}

/** A POST form carrying the session's CSRF token and its page (to return to); `fields` become hidden inputs (a repeated name for arrays). */
export function ActionForm({ view, action, fields = {}, children }: { view: View; action: string; fields?: Record<string, string | number | (string | number)[]>; children?: Child }) {
  return (
    <form method="post" action={view.to(action)} class="inline">
      <input type="hidden" name={CSRF_FIELD} value={view.session?.csrfToken ?? ''} />
      <input type="hidden" name={BACK_FIELD} value={view.here} />
      {Object.entries(fields).flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((v) => <input type="hidden" name={name} value={String(v)} />))}
      {children}
    </form>
  )
}
