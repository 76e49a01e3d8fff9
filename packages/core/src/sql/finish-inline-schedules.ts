import type { Tables } from './tables.js'
import { type SQL, sql } from './template.js'
import type { ScheduleKey } from './upsert-schedules.js'

/** Inline handlers returned: their schedules are idle again. */
export function finishInlineSchedules(t: Tables, keys: ScheduleKey[]): SQL {
  return sql`
    update ${t.schedules} s set status = 'idle', heartbeat = now(), updated = now()
    from unnest(${keys.map((k) => k.entrypoint)}::text[], ${keys.map((k) => k.expression)}::text[]) as k(entrypoint, expression)
    where s.entrypoint = k.entrypoint and s.expression = k.expression and s.status = 'running'`
}
