// Strings Postgres cannot take as they are. Every regex here is compiled once, at load.

/** Either character that can make a string unstorable: NUL, or any UTF-16 surrogate. */
const SUSPECT = /[\0\uD800-\uDFFF]/
/** A surrogate that is not half of a pair: the string is not valid Unicode. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
const EVERY_LONE_SURROGATE = new RegExp(LONE_SURROGATE.source, 'g')

/**
 * Why Postgres cannot store this string unchanged, or null. `text` refuses U+0000 ("invalid
 * byte sequence for encoding UTF8: 0x00") and jsonb its escape \u0000; a lone surrogate has
 * no UTF-8 form: in text the driver silently sends U+FFFD instead, jsonb refuses its escape.
 */
export function textProblem(s: string, column: 'text' | 'jsonb' = 'text'): string | null {
  if (!SUSPECT.test(s)) return null
  if (s.includes('\0')) return `contains U+0000 (NUL), which Postgres ${column} cannot store`
  if (LONE_SURROGATE.test(s)) {
    return `is not valid Unicode (it has a lone surrogate), ${column === 'text' ? 'which the driver would silently send as U+FFFD' : 'which Postgres jsonb refuses'}`
  }
  return null
}

/** The string with U+0000 and lone surrogates replaced by U+FFFD, so Postgres stores it (a traceback, not data). */
export function storableText(s: string): string {
  return SUSPECT.test(s) ? s.replace(/\0/g, '\uFFFD').replace(EVERY_LONE_SURROGATE, '\uFFFD') : s
}

/**
 * In JSON.stringify's output, U+0000 and lone surrogates are the only escapes of the form
 * \u0000 and \uD800-\uDFFF (paired surrogates are written as they are). An escape starts
 * after an even run of backslashes; an odd run means the backslash itself was escaped.
 */
const BAD_JSON_ESCAPE = /(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f])/

/** True when JSON text from JSON.stringify holds a string or key that jsonb refuses. O(length), regex only if a \u escape exists. */
export function jsonTextHasBadEscape(json: string): boolean {
  return json.includes('\\u') && BAD_JSON_ESCAPE.test(json)
}

/** A cron expression as stored: '0  3 * * *' and ' 0 3 * * *' are the schedule '0 3 * * *'. */
export const normalisedExpression = (expression: string): string => expression.trim().split(/\s+/).join(' ')

// C0 controls but tab and newline, DEL and C1: what a terminal acts on (ESC clears screens, retitles windows).
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const TERMINAL_CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g
const LINE_BREAKS = /[\t\n]/g
const escaped = (c: string) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)

/**
 * Text from the database or a handler made safe to print: control characters are shown as
 * escapes (\x1b), so no error message can drive the terminal. `oneLine` escapes tab and newline too.
 */
export function printable(text: string, oneLine = false): string {
  const out = text.replace(TERMINAL_CONTROLS, escaped)
  return oneLine ? out.replace(LINE_BREAKS, escaped) : out
}
