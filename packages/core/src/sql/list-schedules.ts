import type { Tables } from './tables.js'
import { type SQL, sql } from './template.js'

/** Every stored schedule with its next and last run; overdue: next_run more than `graceMs` ago. */
export function listSchedules(t: Tables, graceMs: number): SQL {
  return sql`
    select entrypoint, expression, timezone, next_run, last_run,
           next_run < now() - ${graceMs}::float8 * interval '1 millisecond' as overdue
    from ${t.schedules} order by entrypoint, expression`
}

/** Removes an entrypoint's schedules (or the one with this expression); returns how many. */
export function removeSchedules(t: Tables, entrypoint: string, expression: string | null): SQL {
  return sql`
    with removed as (
      delete from ${t.schedules}
      where entrypoint = ${entrypoint} and (${expression}::text is null or expression = ${expression}::text)
      returning 1
    )
    select count(*)::integer as count from removed`
}
