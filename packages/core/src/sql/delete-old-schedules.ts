import type { Tables } from './tables.js'
import { type SQL, sql } from './template.js'
import type { ScheduleKey } from './upsert-schedules.js'

/** cleanOld: drop the stored schedules of these entrypoints whose expression is no longer registered. */
export function deleteOldSchedules(t: Tables, entrypoints: string[], registered: ScheduleKey[]): SQL {
  return sql`
    delete from ${t.schedules} s
    where s.entrypoint = any(${entrypoints}::text[])
      and not exists (
        select 1 from unnest(${registered.map((r) => r.entrypoint)}::text[], ${registered.map((r) => r.expression)}::text[])
          as k(entrypoint, expression)
        where k.entrypoint = s.entrypoint and k.expression = s.expression)
    returning s.entrypoint, s.expression`
}
