import { lazyPeer } from '../peer.js'
import type { DriverModule } from '../pool-driver.js'

/** node-postgres, loaded on first use (`pg` is an optional peer). */
export const loadNodePostgres = lazyPeer('pg', "pgq's node-postgres driver", async () => {
  const pg = (await import('pg')).default
  return { pg, driver: { Pool: pg.Pool, Client: pg.Client, types: pg.types } as unknown as DriverModule }
})
