import { Layout } from './layout.js'
import type { View } from './view.js'

/** The login form; `problem` says why the last request was refused. */
export function LoginPage({ view, problem }: { view: View; problem?: string }) {
  return (
    <Layout view={view} title="Log in" section="none">
      <form method="post" action={view.to('/login')} class="login">
        <h1>pgq dashboard</h1>
        {problem && <p class="flash flash-error">{problem}</p>}
        <label for="token">API token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required autofocus />
        <button type="submit">Log in</button>
        <p class="muted">The same token as the HTTP API's bearer token. The session lasts until you log out or it expires.</p>
      </form>
    </Layout>
  )
}
