/**
 * Why a value would not survive JSON round trip unchanged, or null when it would.
 * JSON.stringify drops functions and undefined and turns NaN into null silently;
 * a job queue must refuse those instead of running a job with a different payload.
 */
export function jsonProblem(value: unknown, path = 'payload', seen = new Set<object>()): string | null {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return null
    case 'number':
      return Number.isFinite(value) ? null : `${path} is ${value}, which JSON cannot hold`
    case 'object':
      break
    default:
      return `${path} is a ${typeof value}, which JSON cannot hold`
  }
  if (value === null) return null
  if (seen.has(value)) return `${path} refers back to itself (a cycle)`
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return null // Date and friends
  seen.add(value)
  try {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const problem = jsonProblem(value[i], `${path}[${i}]`, seen)
        if (problem) return problem
      }
      return null
    }
    const proto = Object.getPrototypeOf(value)
    if (proto !== Object.prototype && proto !== null) {
      return `${path} is a ${proto?.constructor?.name ?? 'class instance'}, not a plain object`
    }
    for (const [key, item] of Object.entries(value)) {
      const problem = jsonProblem(item, `${path}.${key}`, seen)
      if (problem) return problem
    }
    return null
  } finally {
    seen.delete(value)
  }
}
