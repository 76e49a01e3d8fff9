import type { InsertJobsColumns } from '../types.js'
import type { DedupeColumns } from '../validation/dedupe-input.js'
import { dedupeModes } from './dedupe-modes.js'
import type { Tables } from './tables.js'
import { type SQL, sql } from './template.js'

/** Attempts and what to do when they run out: the entrypoint's fleet policy (ep), stored on the job. */
const storedPolicy = sql`coalesce(ep.max_attempts, 1), coalesce(ep.on_exhausted, 'hold')`

/**
 * Enqueue: one statement for the whole batch. Ids are drawn up front so each result maps
 * back to its input position; a held dedupe key either makes the statement raise (the
 * batch is undone) or, with skip, leaves null in that position.
 *
 * With `modes` (some job has a dedupe mode of its own; see dedupeModes) the same statement
 * also throttles and updates held jobs in place; without, its text is exactly the plain one.
 */
export function insertJobs(t: Tables, c: InsertJobsColumns, onConflict: 'error' | 'skip', modes?: DedupeColumns): SQL {
  const m = modes && dedupeModes(t, modes, onConflict)
  const rejectDuplicates = m
    ? m.rejectDuplicates
    : onConflict === 'skip'
      ? sql`true`
      : sql`${t.rejectDuplicateJobs}((select array_agg(i.dedupe_key order by i.ord) from input i
          where i.dedupe_key is not null and i.id not in (select id from inserted)))`
  return sql`
    with input as (
      select nextval(${t.jobsIdSequence}::regclass) as id, i.*
      from unnest(${c.entrypoints}::text[], ${c.payloads}::text[], ${c.priorities}::smallint[],
                  ${c.runAt}::timestamptz[], ${c.delayMs}::float8[], ${c.dedupeKeys}::text[],
                  ${c.headers}::text[], ${c.dependsOn}::text[], ${c.onParentFailure}::text[]${m?.columns ?? sql``})
        with ordinality as i(entrypoint, payload, priority, run_at, delay_ms, dedupe_key, headers, depends_on, on_parent_failure${m?.columnNames ?? sql``}, ord)
    ),${m?.before ?? sql``}
    inserted as (
      insert into ${t.jobs} (id, entrypoint, payload, priority, execute_after, dedupe_key, headers, max_attempts, on_exhausted,
                             status, depends_on, waiting_for, on_parent_failure)
      select input.id, input.entrypoint, input.payload::jsonb, input.priority,
             coalesce(input.run_at, now() + coalesce(input.delay_ms, 0) * interval '1 millisecond'),
             input.dedupe_key, input.headers::jsonb, ${storedPolicy},
             -- Blocked until link_dependencies (same transaction) counts the parents still pending.
             case when input.depends_on is null then 'queued' else 'blocked' end::${sql.raw(`"${t.schema}".job_status`)},
             input.depends_on::bigint[], coalesce(cardinality(input.depends_on::bigint[]), 0), coalesce(input.on_parent_failure, 'fail')
      from input left join ${t.entrypoints} ep on ep.name = input.entrypoint ${m?.rowsAndOrder ?? sql`order by input.ord`}
      on conflict (dedupe_key) where status in ('queued', 'picked', 'blocked') and dedupe_key is not null ${m?.onConflict ?? sql`do nothing`}
      returning id${m?.returning ?? sql``}
    )${m?.after ?? sql``}
    select ${m?.id ?? sql`inserted.id`} from input left join inserted on inserted.id = input.id${m?.join ?? sql``}
    where ${rejectDuplicates}
    order by input.ord`
}

/**
 * Enqueue of a single job: a plain INSERT, cheaper to plan than the batch statement. A held
 * dedupe key returns no row (nothing was written); the caller turns that into its answer.
 */
export function insertOneJob(t: Tables, c: InsertJobsColumns): SQL {
  return sql`
    insert into ${t.jobs} (entrypoint, payload, priority, execute_after, dedupe_key, headers, max_attempts, on_exhausted)
    select ${c.entrypoints[0]}, ${c.payloads[0] ?? null}::jsonb, ${c.priorities[0]}::smallint,
            coalesce(${c.runAt[0] ?? null}::timestamptz, now() + coalesce(${c.delayMs[0] ?? null}::float8, 0) * interval '1 millisecond'),
            ${c.dedupeKeys[0] ?? null}, ${c.headers[0] ?? null}::jsonb, ${storedPolicy}
    from (select 1) one left join ${t.entrypoints} ep on ep.name = ${c.entrypoints[0]}
    on conflict (dedupe_key) where status in ('queued', 'picked', 'blocked') and dedupe_key is not null do nothing
    returning id`
}

/** After inserting jobs with dependsOn, in the same transaction: links them to their parents. */
export function linkDependencies(t: Tables, ids: number[]): SQL {
  return sql`select ${t.linkDependencies}(${ids}::bigint[])`
}
