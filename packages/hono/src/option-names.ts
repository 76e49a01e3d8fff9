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

/**
 * The token's source: `token`, or `tokenFrom(env)` read per request; neither is no token (every
 * request refused with 500, never served open), both is refused.
 */
export function tokenSource<Bindings>(options: object, what: string): (env: Bindings) => string | undefined {
  const { token, tokenFrom } = options as { token?: unknown; tokenFrom?: unknown }
  if (tokenFrom !== undefined && typeof tokenFrom !== 'function') throw new ConfigurationError(`${what} tokenFrom must be a function: (env) => the token`)
  if (tokenFrom !== undefined && token !== undefined) throw new ConfigurationError(`${what} takes { token } or { tokenFrom: (env) => the token }, not both`)
  if (typeof tokenFrom === 'function') return (env) => (tokenFrom as (env: Bindings) => string | undefined)(env)
  return () => token as string | undefined
}
