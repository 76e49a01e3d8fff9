import { vValidator } from '@hono/valibot-validator'
import type { Context, ValidationTargets } from 'hono'
import * as v from 'valibot'

/** One problem with a request: where (a dot path such as `0.payload.name`, '' for the whole body) and what. */
export interface Issue {
  path: string
  message: string
}

const MAX_ISSUES = 50

/** The answer to any bad input: 400 `{ error: 'invalid_request', issues: [{ path, message }] }`. */
export function invalidRequest(c: Context, issues: Issue[]): Response {
  return c.json({ error: 'invalid_request', issues: issues.slice(0, MAX_ISSUES) }, 400)
}

/** Hono's validator with valibot; a rejected input answers 400 listing each issue and its path. */
export function validate<T extends v.GenericSchema, Target extends keyof ValidationTargets>(target: Target, schema: T) {
  return vValidator(target, schema, (result, c) => {
    if (!result.success) return invalidRequest(c, result.issues.map((issue) => ({ path: v.getDotPath(issue) ?? '', message: messageOf(issue) })))
  })
}

const EXPECTED: Record<string, string> = { number: 'a number', string: 'a string', boolean: 'true or false', Array: 'an array', Object: 'an object' }

/**
 * Our schemas' own messages as written; valibot's defaults ("Invalid type: Expected number but
 * received "…"") quote the value sent, which may be data: these say what to send and what kind of value came.
 */
function messageOf(issue: v.BaseIssue<unknown>): string {
  if (!issue.message.startsWith('Invalid ')) return issue.message
  const expected = issue.expected ? (EXPECTED[issue.expected] ?? issue.expected) : 'another value'
  return issue.input === undefined ? `is required: ${expected}` : `must be ${expected}, not ${kindOf(issue.input)}`
}

function kindOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return 'an object'
  return `a ${typeof value}`
}
