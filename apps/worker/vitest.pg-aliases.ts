import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)

/**
 * Inside the workerd pool, pg's require() of these resolves to files workerd cannot load
 * (brianc/node-postgres#3700, cloudflare/workers-sdk#12984): point at their CommonJS builds.
 */
export const pgOnWorkerdAliases = [
  { find: /^pg-protocol$/, replacement: require.resolve('pg-protocol') },
  { find: /^pg-cloudflare$/, replacement: join(dirname(require.resolve('pg-cloudflare/package.json')), 'dist/index.js') },
]
