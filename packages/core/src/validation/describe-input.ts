// Words for refusals of enqueue input: what a value is (never the value itself), unknown
// option names with a likely meant one, and why a duration is refused.
import { ConfigurationError } from '../errors.js'

/** What a value is, without showing it. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null'
  if (value === undefined) return 'undefined'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : Number.isFinite(value) ? 'a number' : String(value)
  if (typeof value === 'object') {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name
    return typeof name === 'string' && name !== '' && name !== 'Object' ? `a ${name}` : 'an object'
  }
  return `${/^[aeiou]/.test(typeof value) ? 'an' : 'a'} ${typeof value}`
}

/** Why `value` (read as `ms` by parseDuration) is no duration from now that pgq can store; `name` is the field. */
export function durationProblem(name: string, value: unknown, ms: number | undefined): string {
  if (ms === undefined) {
    const got = typeof value === 'number' ? String(value) : typeof value === 'string' ? 'unreadable text' : kindOf(value)
    return `${name} must be a duration: finite milliseconds (a number) or text such as '30s' or '5m', got ${got}`
  }
  if (ms < 0) return `${name} must be >= 0`
  return `${name} ends after +275760-09-13, the latest time pgq can store`
}

export function unknownOption(key: string, what: string, known: readonly string[], index?: number): ConfigurationError {
  const name = JSON.stringify(key.length > 64 ? `${key.slice(0, 64)}...` : key)
  let hint = ''
  if (what === 'job field' && (key === 'tx' || key === 'onConflict')) hint = ` (${key} is for the whole batch: pass it in enqueueMany's second argument)`
  else if (what === 'enqueue option' && (key === 'entrypoint' || key === 'payload')) hint = ` (${key} is enqueue's own argument)`
  else {
    const near = closest(key, known)
    if (near) hint = ` (did you mean "${near}"?)`
  }
  return new ConfigurationError(`${index === undefined ? '' : `job #${index}: `}unknown ${what} ${name}${hint}; known: ${known.join(', ')}`)
}

/** The known name within two edits of `key`, case aside. */
function closest(key: string, known: readonly string[]): string | undefined {
  const k = key.toLowerCase()
  let best: string | undefined
  let bestDistance = 3
  for (const name of known) {
    const d = editDistance(k, name.toLowerCase())
    if (d < bestDistance) [best, bestDistance] = [name, d]
  }
  return best
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2 || a.length > 64) return 3
  let row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    row = next
  }
  return row[b.length]!
}
