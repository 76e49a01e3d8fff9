import type { PolicyChange } from '../types.js'
import { notifyInserted } from './notify-done.js'
import type { Tables } from './tables.js'
import { type SQL, sql } from './template.js'

const columns = sql.raw('name, concurrency_limit, requests_per_second, paused, max_attempts, on_exhausted::text, retention, updated')

/**
 * Sets fields of an entrypoint's policy (creating its row). Resuming wakes every listener
 * for the entrypoint's queued jobs at once.
 */
export function setEntrypointPolicy(t: Tables, name: string, c: PolicyChange): SQL {
  const v = <T>(value: T | undefined) => value ?? null
  return sql`
    with changed as (
      insert into ${t.entrypoints} as p (name, concurrency_limit, requests_per_second, paused, max_attempts, on_exhausted)
      values (${name}, coalesce(${v(c.concurrencyLimit)}::integer, 0), coalesce(${v(c.requestsPerSecond)}::float8, 0),
        coalesce(${v(c.paused)}::boolean, false), ${v(c.maxAttempts)}::integer,
        ${v(c.onExhausted)}::text::${sql.raw(`"${t.schema}".failure_action`)})
      on conflict (name) do update set
        concurrency_limit = coalesce(${v(c.concurrencyLimit)}::integer, p.concurrency_limit),
        requests_per_second = coalesce(${v(c.requestsPerSecond)}::float8, p.requests_per_second),
        paused = coalesce(${v(c.paused)}::boolean, p.paused),
        max_attempts = coalesce(${v(c.maxAttempts)}::integer, p.max_attempts),
        on_exhausted = coalesce(${v(c.onExhausted)}::text::${sql.raw(`"${t.schema}".failure_action`)}, p.on_exhausted),
        updated = now()
      returning ${columns}
    ),
    resumed as (
      select j.entrypoint from ${t.jobs} j
      where ${v(c.paused)}::boolean is false and j.entrypoint = ${name} and j.status = 'queued'
    ),
    woken as (${notifyInserted(t, sql`resumed`)})
    select * from changed where (select count(*) from woken) >= 0`
}

/** The stored policy of these entrypoints (all of them without names). */
export function entrypointPolicies(t: Tables, names: readonly string[] | null): SQL {
  return sql`
    select ${columns} from ${t.entrypoints}
    where ${names}::text[] is null or name = any(${names}::text[])
    order by name`
}
