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
    if (!result.success) return invalidRequest(c, result.issues.map((issue) => ({ path: v.getDotPath(issue) ?? '', message: issue.message })))
  })
}
