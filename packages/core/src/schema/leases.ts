import { text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { pgqSchema } from './pg-schema.js'

/**
 * Leadership of the fleet's maintenance services: one row per service, held by one worker
 * until `expires` (renewed while it runs). A lease, not an advisory lock, so it holds
 * through transaction poolers and Hyperdrive, which keep no session.
 */
export const leases = pgqSchema.table('leases', {
  service: text('service').primaryKey(),
  holder: uuid('holder').notNull(),
  expires: timestamp('expires', { withTimezone: true, mode: 'date' }).notNull(),
})
