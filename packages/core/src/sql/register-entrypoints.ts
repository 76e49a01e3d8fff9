import type { DeclaredPolicy } from '../types.js'
import type { Tables } from './tables.js'
import { type SQL, sql } from './template.js'

const orNull = <T>(values: (T | undefined)[]) => values.map((v) => v ?? null)

/**
 * Registration: writes what this deployment declares (the last registration wins; pause is
 * never touched), only where it differs from what is stored, and reads the installed
 * schema version in the same statement. Returns the rows before and those written, so the
 * caller can tell when it overwrote another deployment's values, and each entrypoint's
 * slowest recent run.
 */
export function registerEntrypoints(t: Tables, declared: readonly DeclaredPolicy[]): SQL {
  const d = declared
  const differs = (column: string) => sql.raw(`(d.${column} is not null and d.${column} is distinct from b.${column})`)
  return sql`
    with declared as (
      select * from unnest(${d.map((x) => x.name)}::text[], ${orNull(d.map((x) => x.concurrencyLimit))}::integer[],
        ${orNull(d.map((x) => x.requestsPerSecond))}::float8[], ${orNull(d.map((x) => x.maxAttempts))}::integer[],
        ${orNull(d.map((x) => x.onExhausted))}::text[], ${orNull(d.map((x) => x.retention))}::jsonb[])
        as d(name, concurrency_limit, requests_per_second, max_attempts, on_exhausted, retention)
    ),
    before as (
      select p.name, p.concurrency_limit, p.requests_per_second, p.max_attempts, p.on_exhausted::text, p.retention, p.paused
      from ${t.entrypoints} p where p.name in (select name from declared)
    ),
    written as (
      insert into ${t.entrypoints} as p (name, concurrency_limit, requests_per_second, max_attempts, on_exhausted, retention)
      select d.name, coalesce(d.concurrency_limit, b.concurrency_limit, 0), coalesce(d.requests_per_second, b.requests_per_second, 0),
        coalesce(d.max_attempts, b.max_attempts), coalesce(d.on_exhausted, b.on_exhausted)::${sql.raw(`"${t.schema}".failure_action`)},
        coalesce(d.retention, b.retention)
      from declared d left join before b on b.name = d.name
      where b.name is null or ${differs('concurrency_limit')} or ${differs('requests_per_second')} or ${differs('max_attempts')}
        or ${differs('on_exhausted')} or ${differs('retention')}
      -- What is declared, else what is stored now (not in the snapshot \`before\` read: a
      -- concurrent registration or setEntrypointPolicy may have written since).
      on conflict (name) do update set
        concurrency_limit = coalesce((select d.concurrency_limit from declared d where d.name = excluded.name), p.concurrency_limit),
        requests_per_second = coalesce((select d.requests_per_second from declared d where d.name = excluded.name), p.requests_per_second),
        max_attempts = coalesce((select d.max_attempts from declared d where d.name = excluded.name), p.max_attempts),
        on_exhausted = coalesce((select d.on_exhausted from declared d where d.name = excluded.name)::${sql.raw(`"${t.schema}".failure_action`)}, p.on_exhausted),
        retention = coalesce((select d.retention from declared d where d.name = excluded.name), p.retention),
        updated = now()
      returning p.name, p.concurrency_limit, p.requests_per_second, p.max_attempts, p.on_exhausted::text, p.retention, p.paused
    )
    select (select max(version) from ${t.migrations}) as version,
      (select coalesce(jsonb_agg(to_jsonb(b)), '[]') from before b) as before,
      (select coalesce(jsonb_agg(to_jsonb(w)), '[]') from written w) as written,
      -- The slowest run of each in the last hour's statistics: a drain's first estimate.
      (select coalesce(jsonb_object_agg(s.entrypoint, s.run_ms), '{}') from (
        select entrypoint, max(run_ms_max) as run_ms from ${t.statistics}
        where bucket >= date_trunc('minute', now()) - interval '1 hour' and entrypoint in (select name from declared)
          and cardinality(run_ms_histogram) > 0
        group by entrypoint
      ) s) as recent_run_ms`
}
