import type { DedupeColumns } from '../validation/dedupe-input.js'
import { notifyInserted } from './notify-done.js'
import type { Tables } from './tables.js'
import { type SQL, sql } from './template.js'

/** The parts insertJobs puts into its one statement for a batch with dedupe modes. */
export interface DedupeModeParts {
  /** More unnest arrays of input, and their names. */
  columns: SQL
  columnNames: SQL
  /** CTEs between input and inserted. */
  before: SQL
  /** The rows inserted (throttled ones are not), and their order. */
  rowsAndOrder: SQL
  onConflict: SQL
  returning: SQL
  /** CTEs after inserted. */
  after: SQL
  /** Each input row's id (a held job's, when it was updated), and the join that finds it. */
  id: SQL
  join: SQL
  rejectDuplicates: SQL
}

/**
 * Each keyed row's mode is in input.dedupe_mode ('error' | 'skip' | 'replace' | 'debounce' |
 * 'throttle'). All of it happens in the one INSERT ... ON CONFLICT, so 50 concurrent
 * enqueues of a key end as one:
 * - throttle: the window row is taken first (insert, or update only where it has expired;
 *   concurrent takers wait on the row and see it taken); only a row that took it is inserted.
 * - replace/debounce: a conflict updates the holder in place, only while it is queued and of
 *   the same entrypoint, under the row lock ON CONFLICT takes (a claim skips it meanwhile, and
 *   a claimed one is seen as picked). Anything else held is not touched: the row counts as held.
 * - error (and replace/debounce in an onConflict 'error' batch) rows found held raise for the batch.
 * Rows are inserted in key order, so two batches lock their keys in one order.
 */
export function dedupeModes(t: Tables, d: DedupeColumns, onConflict: 'error' | 'skip'): DedupeModeParts {
  const throttles = d.modes.includes('throttle')
  const updates = d.modes.includes('replace') || d.modes.includes('debounce')
  const raising = onConflict === 'error' ? ['error', 'replace', 'debounce'] : ['error']
  const raises = d.modes.some((mode) => mode !== null && raising.includes(mode))
  // One row of `updates` maps each replace/debounce key to what its update needs.
  const ask = sql`((select by_key from updates) -> excluded.dedupe_key)`
  const windows = sql`
    windows as (
      insert into ${t.dedupeWindows} as w (key, expires)
      select i.dedupe_key, now() + i.window_ms * interval '1 millisecond' from input i
      where i.dedupe_mode = 'throttle' order by i.dedupe_key
      on conflict (key) do update set expires = excluded.expires where w.expires <= now()
      returning w.key
    ),`
  const updated = sql`
    updates as (
      select jsonb_object_agg(i.dedupe_key, jsonb_build_object('debounce', i.dedupe_mode = 'debounce',
               'maxDelayMs', i.max_delay_ms, 'setsPriority', i.sets_priority)) as by_key
      from input i where i.dedupe_mode in ('replace', 'debounce')
    ),`
  // Debounce: never earlier than it was, never later than maxDelay after the first enqueue (least() skips a null bound).
  const update = sql`do update set
        payload = excluded.payload,
        priority = case when (${ask} ->> 'setsPriority')::boolean then excluded.priority else jobs.priority end,
        headers = coalesce(excluded.headers, jobs.headers),
        execute_after = case when (${ask} ->> 'debounce')::boolean
          then least(greatest(jobs.execute_after, excluded.execute_after), jobs.created + (${ask} ->> 'maxDelayMs')::float8 * interval '1 millisecond')
          else excluded.execute_after end,
        updated = now()
      where jobs.status = 'queued' and jobs.entrypoint = excluded.entrypoint and ${ask} is not null`
  // An updated job due now wakes its workers, as an insert does (the insert trigger sees only new rows).
  const notified = sql`,
    replaced as (select entrypoint from inserted where id not in (select id from input) and execute_after <= now()),
    notified as (${notifyInserted(t, sql`replaced`)})`
  const reject = raises
    ? sql`${t.rejectDuplicateJobs}((select array_agg(i.dedupe_key order by i.ord) from input i
          where i.dedupe_mode = any(${raising}::text[]) and not exists (select from inserted r where r.dedupe_key = i.dedupe_key)))`
    : sql`true`
  return {
    columns: sql`, ${d.modes}::text[], ${d.maxDelayMs}::float8[], ${d.windowMs}::float8[], ${d.setsPriority}::boolean[]`,
    columnNames: sql`, dedupe_mode, max_delay_ms, window_ms, sets_priority`,
    before: sql.join([throttles ? windows : sql``, updates ? updated : sql``], sql``),
    rowsAndOrder: throttles
      ? sql`where input.dedupe_mode is distinct from 'throttle' or input.dedupe_key in (select key from windows)
      order by input.dedupe_key, input.ord`
      : sql`order by input.dedupe_key, input.ord`,
    onConflict: updates ? update : sql`do nothing`,
    returning: sql`, dedupe_key, entrypoint, execute_after`,
    after: updates ? notified : sql``,
    id: sql`coalesce(inserted.id, held.id) as id`,
    join: sql`
    left join inserted held on held.dedupe_key = input.dedupe_key and held.id <> input.id`,
    rejectDuplicates: updates ? sql`${reject} and (select count(*) from notified) >= 0` : reject,
  }
}
