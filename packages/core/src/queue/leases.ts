import type { Executor } from '../driver/driver.js'
import { execute } from '../driver/executor.js'
import { acquireLease, releaseLease } from '../sql/acquire-lease.js'
import { tablesFor } from '../sql/tables.js'

/** Fleet-wide leadership of one service, by a lease row (see schema/leases.ts). */
export function lease(db: Executor, schema: string, service: string, holder: string) {
  const t = tablesFor(schema)
  return {
    /** Takes or renews the lease for `ttlMs`; true while this holder leads. */
    async acquire(ttlMs: number): Promise<boolean> {
      return (await execute(db, acquireLease(t, service, holder, ttlMs))).length > 0
    },
    async release(): Promise<void> {
      await execute(db, releaseLease(t, service, holder))
    },
  }
}

export type Lease = ReturnType<typeof lease>
