import type { Tables } from './tables.js'
import { type SQL, sql } from './template.js'

export interface ScheduleKey {
  entrypoint: string
  expression: string
}

export interface ScheduleRegistration extends ScheduleKey {
  timezone: string
  /** The first tick after registration, computed in TS (Postgres cannot evaluate cron). */
  nextRun: Date
}

/**
 * Register schedules in one statement. A stored schedule keeps its next_run, so ticks
 * missed while nothing ran still fire (once); only a new time zone moves it.
 */
export function upsertSchedules(t: Tables, rows: ScheduleRegistration[]): SQL {
  return sql`
    insert into ${t.schedules} as s (entrypoint, expression, timezone, next_run)
    select * from unnest(${rows.map((r) => r.entrypoint)}::text[], ${rows.map((r) => r.expression)}::text[],
                         ${rows.map((r) => r.timezone)}::text[], ${rows.map((r) => r.nextRun.toISOString())}::timestamptz[])
    on conflict (entrypoint, expression) do update
      set timezone = excluded.timezone, next_run = excluded.next_run, updated = now()
      where s.timezone <> excluded.timezone`
}
