// Tells when Postgres has accepted a session's login, from the bytes it sends, so the proxy can
// keep strict limits for clients nobody has authenticated yet.
//
// AuthenticationOk is 'R', int32 length 8, int32 0. Before it Postgres sends only auth
// requests, errors and notices, whose text fields hold no NUL bytes, so a client cannot make
// these 9 bytes appear there (a false match would only lift one session's message cap).
// Inside pg-level TLS they never match: such sessions keep the startup limits.
const AUTH_OK = Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 0])

/** Returns a feed for the server's chunks that answers true once AuthenticationOk went by. */
export function authOkWatcher(): (chunk: Buffer) => boolean {
  const keep = AUTH_OK.length - 1
  let tail = Buffer.alloc(0)
  let seen = false
  return (chunk) => {
    if (seen) return true
    // A match may straddle the previous chunk; search that edge, then the chunk itself.
    const edge = Buffer.concat([tail, chunk.subarray(0, keep)])
    seen = edge.includes(AUTH_OK) || chunk.includes(AUTH_OK)
    // Copied, so the watcher does not pin the chunk.
    tail = Buffer.from((chunk.length >= keep ? chunk : edge).subarray(-keep))
    return seen
  }
}
