import { html } from 'hono/html'
import type { JSX } from 'hono/jsx/jsx-runtime'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { DashboardContext } from './env.js'

/** A page as an HTML response, with the doctype (standards mode) JSX cannot write. */
export function render(c: DashboardContext, page: JSX.Element, status: ContentfulStatusCode = 200) {
  return c.html(html`<!doctype html>${page}`, status)
}
