// Keys derived from the server's token with HMAC-SHA-256 (Web Crypto: Node and Workers alike),
// one per purpose, so the token itself never signs anything and changing it ends every session.

const encoder = new TextEncoder()

export interface DashboardKeys {
  /** Signs the session and flash cookies (hono/cookie's signed cookies). */
  cookie: Uint8Array<ArrayBuffer>
  /** Signs a session id into its CSRF token (a function: the shipped types then need no Web Crypto lib). */
  signCsrf(message: string): Promise<Uint8Array<ArrayBuffer>>
}

function hmacKey(secret: BufferSource): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
}

async function sign(key: CryptoKey, message: string): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(message)))
}

export function base64url(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** `length` random bytes as base64url. */
export function randomId(length = 18): string {
  return base64url(crypto.getRandomValues(new Uint8Array(length)))
}

// One entry: a deployment has one token (on Workers, per isolate); a new one replaces it.
let cached: { token: string; keys: Promise<DashboardKeys> } | undefined

export function keysFor(token: string): Promise<DashboardKeys> {
  if (cached?.token !== token) cached = { token, keys: deriveKeys(token) }
  return cached.keys
}

async function deriveKeys(token: string): Promise<DashboardKeys> {
  const root = await hmacKey(encoder.encode(token))
  const [cookie, csrf] = await Promise.all([sign(root, 'pgq dashboard cookie v1'), sign(root, 'pgq dashboard csrf v1')])
  const csrfKey = await hmacKey(csrf)
  return { cookie, signCsrf: (message) => sign(csrfKey, message) }
}

/** The CSRF token of a session: HMAC of its id, so it needs no storage and dies with the session. */
export async function csrfTokenFor(keys: DashboardKeys, sessionId: string): Promise<string> {
  return base64url(await keys.signCsrf(`csrf:${sessionId}`))
}
