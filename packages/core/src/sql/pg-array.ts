/**
 * A Postgres array literal of numbers ('{1,2.5,NULL}'), bound as one text parameter and cast
 * in SQL: the hot path's id arrays, at a fraction of what a driver spends serializing a JS
 * array element by element. Only numbers and null go in, so nothing needs quoting.
 */
export function numberArray(values: readonly (number | null)[]): string {
  if (!values.includes(null)) return `{${values.join(',')}}`
  let out = '{'
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (i > 0) out += ','
    out += v === null || v === undefined ? 'NULL' : String(v)
  }
  return `${out}}`
}
