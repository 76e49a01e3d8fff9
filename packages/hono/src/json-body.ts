import type { Context, MiddlewareHandler } from 'hono'
import { jsonTextIssues, nestedDeeperThan } from './json-text.js'
import { MAX_JSON_DEPTH } from './values.js'
import { invalidRequest } from './validate.js'

/** A value's own limit, plus the request's envelope around it (a flow's { steps: [{ payload }] }) and one to spare. */
const MAX_BODY_DEPTH = MAX_JSON_DEPTH + 4

const JSON_TYPE = /^application\/json\s*(?:;\s*charset\s*=\s*"?utf-8"?\s*)?$/i

/**
 * A JSON route's body, before its validator: 415 unless `Content-Type: application/json`
 * (UTF-8); 400 for bytes that are not UTF-8, text that is not JSON, and JSON that
 * JSON.parse would quietly change (repeated keys, numbers a double cannot hold).
 * The bytes stay in Hono's body cache, where the validator reads them (known to be UTF-8 by then).
 * `optional`: no body at all (with no Content-Type, or the JSON one) stands for `{}`.
 * Runs after the body limit, so the body read here is bounded.
 */
export function jsonBody(options: { optional?: boolean } = {}): MiddlewareHandler {
  return async (c, next) => {
    const type = c.req.header('content-type')
    const json = type !== undefined && JSON_TYPE.test(type.trim())
    if (options.optional && (type === undefined || json) && (await bytesOf(c))?.byteLength === 0) {
      // Many clients send the JSON Content-Type on every POST, even one without a body: the
      // validator then reads `{}` from Hono's body cache (c.req.json() parses its text).
      if (json) (c.req.bodyCache as Record<string, unknown>).text = Promise.resolve('{}')
      return next()
    }
    if (!json) {
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
    // Before JSON.parse, whose work on a megabyte of `[[[[` is seconds and hundreds of MB.
    if (nestedDeeperThan(text, MAX_BODY_DEPTH)) {
      const [deep] = jsonTextIssues(text, 1, MAX_BODY_DEPTH)
      return invalidRequest(c, [{ path: deep?.path ?? '', message: `${deep?.message ?? 'nests too deep'} (a payload or headers may nest at most ${MAX_JSON_DEPTH} levels)` }])
    }
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
