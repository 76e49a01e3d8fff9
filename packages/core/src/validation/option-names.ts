import { ConfigurationError } from '../errors.js'

/** Refuses option names that `known` does not list, naming them: a typo must not be silently ignored. */
export function checkOptionNames(options: unknown, known: readonly string[], what: string): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ConfigurationError(`${what} options must be an object`)
  }
  const unknown = Object.keys(options).filter((key) => !known.includes(key))
  if (unknown.length > 0) {
    throw new ConfigurationError(`unknown ${what} option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k.slice(0, 64))).join(', ')}; known: ${known.join(', ')}`, {
      field: unknown[0]!.slice(0, 64),
    })
  }
}
