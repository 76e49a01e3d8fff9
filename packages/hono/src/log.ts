// What the server may log about an error. Messages, details and stacks are left out: a driver's
// error quotes the failed statement's parameters (payloads, headers, dedupe keys) and
// PostgreSQL's quotes the offending value. Names, codes and schema object names are kept.

const SAFE_FIELDS = ['code', 'routine', 'table', 'column', 'constraint'] as const
const MAX_CAUSES = 5

/** One line naming the error and its causes (each after `<-`), e.g. `DatabaseError code=22P05 routine=…`. */
export function errorSummary(error: unknown): string {
  const parts: string[] = []
  let current: unknown = error
  for (let i = 0; i <= MAX_CAUSES && current !== undefined && current !== null; i++) {
    parts.push(describe(current))
    current = typeof current === 'object' ? (current as { cause?: unknown }).cause : undefined
  }
  return parts.join(' <- ')
}

function describe(error: unknown): string {
  if (typeof error !== 'object' || error === null) return typeof error
  // The class says most (pg's DatabaseError is named 'error').
  const type = safeName(error.constructor?.name) ?? 'object'
  const name = safeName((error as { name?: unknown }).name)
  const fields = SAFE_FIELDS.flatMap((field) => {
    const value = safeName((error as Record<string, unknown>)[field])
    return value === undefined ? [] : [`${field}=${value}`]
  })
  return [type, ...(name && name !== type && !/^error$/i.test(name) ? [`name=${name}`] : []), ...fields].join(' ')
}

/** Identifier-like strings only (names, SQLSTATEs, table names): anything else may be data. */
function safeName(value: unknown): string | undefined {
  return typeof value === 'string' && /^[\w$.-]{1,64}$/.test(value) ? value : undefined
}

/** Logs `what` (e.g. `pgq http: POST /jobs failed`) and the error's summary, never its message. */
export function logError(what: string, error: unknown): void {
  console.error(`${what}: ${errorSummary(error)} (message withheld: it may quote job data)`)
}
