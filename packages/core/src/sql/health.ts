// The health check's reads (queue/health.ts): small catalog and statistics reads, one per
// export. None selects a payload, a query text or a value a user stored.

import type { Tables } from './tables.js'
import { type SQL, sql } from './template.js'

/** Which of pgq's tables exist: the other reads need them, and a schema behind may lack some. */
export function healthTablesPresent(t: Tables): SQL {
  const name = (table: string) => `"${t.schema}".${table}`
  return sql`
    select to_regclass(${name('pgq_migrations')}) is not null as migrations,
           to_regclass(${name('jobs')}) is not null as jobs,
           to_regclass(${name('schedules')}) is not null as schedules`
}

/**
 * What holds the xmin horizon of this database back, oldest first: sessions with an open
 * transaction id or snapshot (this one and vacuums excepted: vacuum's own snapshot holds
 * nothing back), walsenders reporting a standby's xmin (hot_standby_feedback), prepared
 * transactions, and replication slots with an xmin. Sessions of other databases hold back
 * only the shared catalogs, so they are left out. age_s is null where Postgres keeps no
 * time (slots, walsenders); xid_age is how many transactions the horizon lags.
 */
export function xminHolders(): SQL {
  return sql`
    with db as (select oid from pg_database where datname = current_database())
    select 'session' as kind, a.pid, a.application_name as name, a.state, a.backend_type,
           -- clock_timestamp(): now() is this transaction's start, which may follow another's.
           greatest(0, extract(epoch from (clock_timestamp() - a.xact_start)))::float8 as age_s,
           greatest(age(a.backend_xid), age(a.backend_xmin))::bigint as xid_age, true as active
    from pg_stat_activity a
    where a.pid <> pg_backend_pid()
      and (a.backend_xid is not null or a.backend_xmin is not null)
      and (a.datid = (select oid from db) or a.datid is null)
      and a.pid not in (select pid from pg_stat_progress_vacuum)
    union all
    select 'prepared', null, p.gid, null, null, greatest(0, extract(epoch from (clock_timestamp() - p.prepared)))::float8,
           age(p.transaction)::bigint, true
    from pg_prepared_xacts p
    where p.database = current_database()
    union all
    select 'slot', s.active_pid, s.slot_name::text, null, s.slot_type, null, age(s.xmin)::bigint, s.active
    from pg_replication_slots s
    where s.xmin is not null and (s.database is null or s.database = current_database())
    order by age_s desc nulls last, xid_age desc nulls last`
}

/** Sessions of this database whose details this role may not read (pg_read_all_stats lifts it). */
export function hiddenSessions(): SQL {
  return sql`
    select count(*)::integer as count from pg_stat_activity
    where datname = current_database() and query = '<insufficient privilege>'`
}

/** The jobs table's tuple counters, last vacuums and sizes. */
export function jobsTableStatistics(t: Tables): SQL {
  return sql`
    select coalesce(s.n_live_tup, 0)::bigint as live, coalesce(s.n_dead_tup, 0)::bigint as dead,
           extract(epoch from (now() - greatest(s.last_autovacuum, s.last_vacuum)))::float8 as vacuumed_s_ago,
           pg_table_size(c.oid)::bigint as table_bytes, pg_indexes_size(c.oid)::bigint as index_bytes
    from pg_class c
    left join pg_stat_user_tables s on s.relid = c.oid
    where c.oid = to_regclass(${`"${t.schema}".jobs`})`
}

/**
 * Running (picked) jobs whose heartbeat is older than their entrypoint's lease, per
 * entrypoint: the lease of `leases` where listed, else `defaultLeaseMs`; a lease of 0 never
 * expires. Served by jobs_picked_heartbeat_idx.
 */
export function expiredLeases(t: Tables, leases: { entrypoint: string; ms: number }[], defaultLeaseMs: number): SQL {
  return sql`
    with lease as (
      select * from unnest(${leases.map((l) => l.entrypoint)}::text[], ${leases.map((l) => l.ms)}::float8[]) as l(entrypoint, ms)
    ),
    expired as (
      select j.id, j.entrypoint, j.heartbeat, e.ms
      from ${t.jobs} j
      left join lease l on l.entrypoint = j.entrypoint
      cross join lateral (select coalesce(l.ms, ${defaultLeaseMs}::float8) as ms) e
      where j.status = 'picked' and e.ms > 0 and j.heartbeat < now() - make_interval(secs => e.ms / 1000)
    )
    select entrypoint, ms as lease_ms, count(*)::integer as count,
           max(extract(epoch from (now() - heartbeat)))::float8 as oldest_s,
           (array_agg(id order by heartbeat))[1]::bigint as oldest_id
    from expired
    group by entrypoint, ms
    order by oldest_s desc`
}

/**
 * Schedules nobody fires: next_run more than `graceMs` before `now` (the firers' clock;
 * null: the database's), or inline ones still 'running' with a heartbeat older than
 * `inlineTimeoutMs` (their process died or hangs). At most 20, and how many in all.
 */
export function stuckSchedules(t: Tables, now: Date | null, graceMs: number, inlineTimeoutMs: number): SQL {
  const at = now ? now.toISOString() : null
  return sql`
    select entrypoint, expression, status::text as status,
           extract(epoch from (coalesce(${at}::timestamptz, now()) - next_run))::float8 as overdue_s,
           extract(epoch from (now() - heartbeat))::float8 as heartbeat_s,
           (count(*) over ())::integer as total
    from ${t.schedules}
    where next_run < coalesce(${at}::timestamptz, now()) - make_interval(secs => ${graceMs}::float8 / 1000)
       or (status = 'running' and heartbeat < now() - make_interval(secs => ${inlineTimeoutMs}::float8 / 1000))
    order by next_run
    limit 20`
}

/** relpersistence ('p' logged, 'u' unlogged) of the tables the durability level is about. */
export function tablePersistence(t: Tables): SQL {
  return sql`
    select c.relname::text as name, c.relpersistence::text as persistence
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = ${t.schema} and c.relkind in ('r', 'p')`
}
