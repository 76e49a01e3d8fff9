import type { Context, MiddlewareHandler } from 'hono'
import { jsonTextIssues } from './json-text.js'
import { invalidRequest } from './validate.js'

const JSON_TYPE = /^application\/json\s*(?:;\s*charset\s*=\s*"?utf-8"?\s*)?$/i

/**
 * A JSON route's body, before its validator: 415 unless `Content-Type: application/json`
 * (UTF-8); 400 for bytes that are not UTF-8, text that is not JSON, and JSON that
 * JSON.parse would quietly change (repeated keys, numbers a double cannot hold).
 * The bytes stay in Hono's body cache, where the validator reads them (known to be UTF-8 by then).
 * `optional`: no body at all (and no Content-Type) stands for `{}`.
 * Runs after the body limit, so the body read here is bounded.
 */
export function jsonBody(options: { optional?: boolean } = {}): MiddlewareHandler {
  return async (c, next) => {
    const type = c.req.header('content-type')
    if (type === undefined && options.optional && (await bytesOf(c))?.byteLength === 0) return next()
    if (type === undefined || !JSON_TYPE.test(type.trim())) {
      return c.json({ error: 'unsupported_media_type', message: 'send the body as JSON, with Content-Type: application/json' }, 415)
    }
    const bytes = await bytesOf(c)
    if (!bytes) return invalidRequest(c, [{ path: '', message: 'the body could not be read' }])
    let text: string
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
    } catch {
      return invalidRequest(c, [{ path: '', message: 'the body is not UTF-8 text' }])
    }
    if (text.trim() === '') return invalidRequest(c, [{ path: '', message: 'the body is empty: send a JSON value' }])
    try {
      JSON.parse(text)
    } catch {
      return invalidRequest(c, [{ path: '', message: 'the body is not valid JSON' }])
    }
    const issues = jsonTextIssues(text)
    if (issues.length > 0) return invalidRequest(c, issues)
    return next()
  }
}

/** The body's bytes (cached by Hono), or null when the client broke off sending them. */
async function bytesOf(c: Context): Promise<ArrayBuffer | null> {
  return c.req.arrayBuffer().catch(() => null)
}
