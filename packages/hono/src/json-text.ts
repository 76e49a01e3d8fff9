// What JSON.parse changes without a word, found in the text it parsed: a repeated key keeps
// only its last value, and a number beyond a double's precision or range is rounded.

export interface TextIssue {
  /** Dot path of the value, like valibot's ("0.payload.id"); '' for the whole body. */
  path: string
  message: string
}

// The tokens of valid JSON (run after JSON.parse succeeded); whitespace between them is skipped.
const TOKEN = /"(?:[^"\\]|\\.)*"|[{}[\],:]|-?\d[\d.eE+-]*|true|false|null/g

interface Frame {
  kind: 'object' | 'array'
  /** Object: keys seen so far (made at the first) and the current one. Array: the current index. */
  keys: Set<string> | undefined
  key: string | number
  expectKey: boolean
}

/** Whether arrays and objects nest deeper than `limit` anywhere in the text (strings skipped): one pass, no allocation. */
export function nestedDeeperThan(text: string, limit: number): boolean {
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x22) {
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i)
        if (d === 0x5c) i++
        else if (d === 0x22) break
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true
    } else if (c === 0x5d || c === 0x7d) {
      depth--
    }
  }
  return false
}

/**
 * Problems in a text JSON.parse accepted; at most `limit` of them. Past `maxDepth` levels of
 * nesting the scan stops with that one problem, at the path where it went too deep.
 */
export function jsonTextIssues(text: string, limit = 10, maxDepth = Number.POSITIVE_INFINITY): TextIssue[] {
  const issues: TextIssue[] = []
  const stack: Frame[] = []
  const pathOf = () => stack.map((f) => f.key).join('.')
  for (const [token] of text.matchAll(TOKEN)) {
    if (issues.length >= limit) break
    const top = stack.at(-1)
    switch (token) {
      case '{':
      case '[':
        if (stack.length >= maxDepth) return [{ path: pathOf(), message: `nests arrays and objects more than ${maxDepth} levels deep in all` }]
        stack.push({ kind: token === '{' ? 'object' : 'array', keys: undefined, key: 0, expectKey: token === '{' })
        break
      case '}':
      case ']':
        stack.pop()
        break
      case ',':
        if (top?.kind === 'array') top.key = (top.key as number) + 1
        else if (top) top.expectKey = true
        break
      case ':':
      case 'true':
      case 'false':
      case 'null':
        break
      default:
        if (token.startsWith('"')) {
          if (!top?.expectKey) break
          const key = JSON.parse(token) as string
          top.expectKey = false
          top.key = key
          top.keys ??= new Set()
          if (top.keys.has(key)) issues.push({ path: pathOf(), message: 'is given twice (JSON keeps only the last): send each key once' })
          top.keys.add(key)
        } else if (!isExact(token)) {
          // Not quoted: the number may be data (a card number, an account).
          issues.push({ path: pathOf(), message: 'is a number with more digits than a JSON number (a double) holds exactly: send it as a string (ids and other fields are at most 9007199254740991)' })
        }
    }
  }
  return issues
}

/** Whether the double JSON.parse makes of this number token has exactly the token's decimal value. */
function isExact(token: string): boolean {
  const parsed = Number(token)
  return Number.isFinite(parsed) && canonical(token) === canonical(String(parsed))
}

/** A decimal as sign, significant digits and exponent, so 1.50e2, 150 and 150.0 compare equal. */
function canonical(decimal: string): string | null {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(decimal)
  if (!m) return null
  const fraction = m[3] ?? ''
  let digits = (m[2]! + fraction).replace(/^0+/, '')
  if (digits === '') return '0' // -0 is 0: JSON.stringify writes it so
  let exponent = BigInt(m[4] ?? 0) - BigInt(fraction.length)
  const significant = digits.replace(/0+$/, '')
  exponent += BigInt(digits.length - significant.length)
  digits = significant
  return `${m[1]}${digits}e${exponent}`
}
