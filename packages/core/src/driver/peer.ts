import { MissingDependencyError } from '../errors.js'

const NOT_FOUND = new Set(['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND'])

/**
 * Loads an optional peer dependency once, on first use, so that importing pgq never fails
 * for a driver nobody asked for. `load` must be a literal `import('pkg')` so bundlers see it.
 */
export function lazyPeer<T>(packageName: string, neededBy: string, load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined
  return () =>
    (loaded ??= load().catch((error: unknown) => {
      const { code, message } = (error ?? {}) as { code?: string; message?: string }
      const missing = (code !== undefined && NOT_FOUND.has(code)) || /cannot find (module|package)|could not (find|resolve)/i.test(message ?? '')
      const named = [`'${packageName}'`, `"${packageName}"`].some((quoted) => (message ?? '').includes(quoted))
      throw missing && named ? new MissingDependencyError(packageName, neededBy, { cause: error }) : error
    }))
}
