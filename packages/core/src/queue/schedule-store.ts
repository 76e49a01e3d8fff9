import type { Executor, Row } from '../driver/driver.js'
import { execute } from '../driver/executor.js'
import { claimDueSchedules, type ScheduleClaim } from '../sql/claim-due-schedules.js'
import { deleteOldSchedules } from '../sql/delete-old-schedules.js'
import { finishInlineSchedules } from '../sql/finish-inline-schedules.js'
import { tablesFor } from '../sql/tables.js'
import { type ScheduleKey, type ScheduleRegistration, upsertSchedules } from '../sql/upsert-schedules.js'

/** The schedules table: register, clean, claim the due ticks, finish inline ones. */
export function scheduleStore(db: Executor, schema: string) {
  const t = tablesFor(schema)
  return {
    /** Stores `fresh`; first deletes the stored schedules of `cleaned` entrypoints that are not in `kept`. */
    async register(fresh: ScheduleRegistration[], cleaned: string[], kept: ScheduleKey[]): Promise<void> {
      if (cleaned.length > 0) await execute(db, deleteOldSchedules(t, cleaned, kept))
      await execute(db, upsertSchedules(t, fresh))
    },
    /** Claims the due ticks (inside `tx` when enqueueing their jobs in the same transaction). */
    claimDue(now: Date, claims: ScheduleClaim[], tx: Executor = db): Promise<Row[]> {
      return execute(tx, claimDueSchedules(t, now, claims))
    },
    async finishInline(done: ScheduleKey[]): Promise<void> {
      await execute(db, finishInlineSchedules(t, done))
    },
  }
}

export type ScheduleStore = ReturnType<typeof scheduleStore>
