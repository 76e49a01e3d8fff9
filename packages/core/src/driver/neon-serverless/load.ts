import { lazyPeer } from '../peer.js'
import type { DriverModule } from '../pool-driver.js'

/** Neon's serverless driver, loaded on first use (an optional peer). */
export const loadNeon = lazyPeer('@neondatabase/serverless', "pgq's neon-serverless driver", async () => {
  const neon = await import('@neondatabase/serverless')
  return { Pool: neon.Pool, Client: neon.Client, types: neon.types } as unknown as DriverModule
})
