/**
 * An option's value as an error message shows it: a number as written (NaN too, which JSON
 * would show as null), anything else JSON-quoted, cut to 64 characters, with its type.
 */
export function shown(value: unknown): string {
  if (typeof value === 'number') return String(value)
  let text: string
  try {
    text = JSON.stringify(value) ?? String(value)
  } catch {
    text = Object.prototype.toString.call(value)
  }
  return `${text.length > 64 ? `${text.slice(0, 64)}…` : text} (${value === null ? 'null' : typeof value})`
}
