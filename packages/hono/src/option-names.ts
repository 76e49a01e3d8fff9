// Option checks for the factories: core's name check (one message style), and one of two exclusive options.
import { ConfigurationError } from '@pgq/core/edge'

export { checkOptionNames } from '@pgq/core/edge'

/** Which one of two exclusive options is set (undefined counts as not set), or a ConfigurationError for both or neither. */
export function exactlyOne<A extends string, B extends string>(options: object, a: A, b: B, needs: string): A | B {
  const has = (key: string) => (options as Record<string, unknown>)[key] !== undefined
  if (has(a) && has(b)) throw new ConfigurationError(`${needs}, not both`)
  if (has(a)) return a
  if (has(b)) return b
  throw new ConfigurationError(needs)
}
