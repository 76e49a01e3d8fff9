import type { Tables } from './tables.js'
import { type SQL, sql } from './template.js'
import type { ScheduleKey } from './upsert-schedules.js'

export interface ScheduleClaim extends ScheduleKey {
  /** The first tick after `now`: where next_run moves if this schedule is due. */
  following: Date
  /** Inline schedules are marked running until their handler returns. */
  inline: boolean
}

/**
 * Claim every due schedule in one statement and move its next_run past `now`, so each
 * tick fires once however many firers run at once:
 * - SKIP LOCKED: a row another firer is claiming is left to it;
 * - a row claimed and committed meanwhile is re-checked by FOR UPDATE against its new
 *   next_run (now in the future), so it no longer qualifies;
 * - the update is guarded by the next_run read, so a stale read updates (and fires) nothing.
 * Missed ticks collapse: next_run jumps to the first tick after `now`, and the row fires once
 * for the oldest missed tick (`scheduled_for`).
 */
export function claimDueSchedules(t: Tables, now: Date, claims: ScheduleClaim[]): SQL {
  const status = sql.raw(`"${t.schema}".schedule_status`)
  return sql`
    with input as (
      select * from unnest(${claims.map((c) => c.entrypoint)}::text[], ${claims.map((c) => c.expression)}::text[],
                           ${claims.map((c) => c.following.toISOString())}::timestamptz[], ${claims.map((c) => c.inline)}::boolean[])
        as i(entrypoint, expression, following, inline)
    ),
    due as (
      select s.id, s.next_run as scheduled_for, i.following, i.inline
      from ${t.schedules} s join input i on i.entrypoint = s.entrypoint and i.expression = s.expression
      where s.next_run <= ${now.toISOString()}::timestamptz
      for update of s skip locked
    )
    update ${t.schedules} s
    set next_run = due.following, last_run = ${now.toISOString()}::timestamptz, heartbeat = now(), updated = now(),
        status = (case when due.inline then 'running' else 'idle' end)::${status}
    from due
    where s.id = due.id and s.next_run = due.scheduled_for
    returning s.entrypoint, s.expression, due.scheduled_for`
}
