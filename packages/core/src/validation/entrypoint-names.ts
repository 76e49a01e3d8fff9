// Entrypoint names as pgq's calls take them; callers wrap the problem in their own error class.
import { kindOf } from './describe-input.js'
import { textProblem } from './text.js'

export const MAX_ENTRYPOINT_LENGTH = 128

/** Why `name` is no entrypoint name Postgres can store as given, or null. */
export function entrypointNameProblem(name: unknown, field = 'entrypoint'): string | null {
  if (typeof name !== 'string') return `${field} must be a string, got ${kindOf(name)}`
  if (name.length === 0) return `${field} must not be empty`
  if (name.length > MAX_ENTRYPOINT_LENGTH) return `${field} must be at most ${MAX_ENTRYPOINT_LENGTH} characters, got ${name.length}`
  const problem = textProblem(name)
  return problem ? `${field} ${problem}` : null
}

/** The same for a filter's list of names: an array whose every item is a name. */
export function entrypointNamesProblem(names: unknown, field: string): string | null {
  if (!Array.isArray(names)) return `${field} must be an array of entrypoint names, got ${kindOf(names)}`
  for (let i = 0; i < names.length; i++) {
    const problem = entrypointNameProblem(names[i], `${field}[${i}]`)
    if (problem) return problem
  }
  return null
}
