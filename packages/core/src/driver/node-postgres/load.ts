import { lazyPeer } from '../peer.js'

/** node-postgres and Drizzle's driver for it, loaded on first use (`pg` is an optional peer). */
export const loadNodePostgres = lazyPeer('pg', 'pgq\'s node-postgres driver', async () => {
  const [pg, { drizzle }] = await Promise.all([import('pg'), import('drizzle-orm/node-postgres')])
  return { pg: pg.default, drizzle }
})
