// A schema library's messages may quote the value they refused (valibot: `Received "…"`);
// pgq's errors and logs never carry payload values, so those quotes are cut out.

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** The value at `path` inside `root`, or undefined. */
export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined
    value = (value as Record<PropertyKey, unknown>)[key]
  }
  return value
}

/** `message` with every quotation of `value` (as JSON, or as it is, for text of 4 or more characters and numbers) replaced by `<redacted>`. */
export function redactValue(message: string, value: unknown): string {
  const forms = new Set<string>()
  if (typeof value === 'string') {
    forms.add(JSON.stringify(value))
    if (value.length >= 4) forms.add(value)
  } else if (typeof value === 'number' || typeof value === 'bigint') {
    forms.add(String(value))
  } else if (value !== null && typeof value === 'object') {
    try {
      const json = JSON.stringify(value)
      if (json && json.length >= 4) forms.add(json)
    } catch {
      // A value JSON cannot write is not quoted as JSON either.
    }
  }
  let out = message
  // Longest first, so a quoted form goes whole before its bare text.
  for (const form of [...forms].sort((a, b) => b.length - a.length)) {
    // A number only where it stands alone, not as digits of another.
    const pattern = typeof value === 'string' || typeof value === 'object' ? escapeRegExp(form) : `(?<![\\d.])${escapeRegExp(form)}(?![\\d.])`
    out = out.replace(new RegExp(pattern, 'g'), '<redacted>')
  }
  return out
}
