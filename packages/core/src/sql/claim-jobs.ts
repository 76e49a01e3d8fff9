import type { ClaimEntrypoint } from '../types.js'
import { asyncCommit } from './async-commit.js'
import type { Tables } from './tables.js'
import { type SQL, sql } from './template.js'

export interface ClaimRequest {
  workerId: string
  /** Commit without waiting for the WAL flush (see async-commit.ts). */
  asyncCommit: boolean
  /** Most jobs to take in this call, across entrypoints. */
  batchSize: number
  entrypoints: ClaimEntrypoint[]
  /**
   * A drain's claim: also count, up to batchSize + 1, the due jobs of these entrypoints as
   * the statement began (the claimed ones among them), so a drain that took them all knows
   * without claiming again.
   */
  lookahead?: boolean
}

/** Jobs per answer row: bounds one row's text (its payloads) while a claim of 1,000 reads ten rows, not 1,000. */
export const CLAIMED_PER_ROW = 100

/**
 * What a claimed job's JSON array holds after its place in the claim (from 1), and how SQL
 * writes each as JSON: `||` of a null is null, so each nullable value is coalesced; the enum
 * and the timestamps' text never hold a quote or a backslash.
 */
const CLAIMED = {
  id: 'number', entrypoint: 'text', payload: 'json', headers: 'json', priority: 'number', attempts: 'number',
  max_attempts: 'number', on_exhausted: 'plain', dedupe_key: 'text', created: 'plain', updated: 'plain', execute_after: 'plain',
} as const
export const CLAIMED_COLUMNS = Object.keys(CLAIMED) as (keyof typeof CLAIMED)[]

// Each column as pieces of the array's text: literal text (quoted here) or an SQL expression.
const asJson = {
  number: (c: string) => [c],
  text: (c: string) => [`coalesce(to_json(${c})::text, 'null')`],
  json: (c: string) => [`coalesce(${c}::text, 'null')`],
  plain: (c: string) => [`'"'`, c, `'"'`],
}
/** Adjacent literals merged: 26 concatenations a job, not 34. */
function concatenation(pieces: string[]): string {
  const merged: string[] = []
  for (const piece of pieces) {
    const last = merged[merged.length - 1]
    if (piece.startsWith("'") && last?.startsWith("'")) merged[merged.length - 1] = `${last.slice(0, -1)}${piece.slice(1)}`
    else merged.push(piece)
  }
  return merged.join(' || ')
}
/**
 * One claimed job as the JSON text of an array. node-postgres reading 1,000 rows of 12
 * columns cost the worker 4.5-7.5 µs a job; ten rows of this text cost it 2.5-3 µs to parse,
 * and PostgreSQL about 2 µs more to build.
 */
const claimedJson = concatenation([`'['`, 'c.ordinality', ...CLAIMED_COLUMNS.flatMap((k) => [`','`, ...asJson[CLAIMED[k]](`c.${k}`)]), `']'`])

/**
 * Claim: one call of claim_jobs (drizzle/0004), the only claim. Limits, rates and pauses
 * are the fleet's, read from the entrypoints table inside it; the worker only says what it
 * can take. Stale rescues first, then priority, then age.
 * Answers `jobs`, a JSON array of claimedJson arrays, per up to CLAIMED_PER_ROW jobs (rows
 * in no order: each array carries its place), with `lookahead` on each row when asked.
 */
export function claimJobs(t: Tables, r: ClaimRequest): SQL {
  const e = r.entrypoints
  const names = e.map((x) => x.name)
  // Bounded by the claim index: at most batchSize + 1 rows are read, whatever the backlog.
  // Per entrypoint and in the index's order, so the cached plan walks the index: a plain
  // filtered scan was planned as a scan of the table from its start, through every row
  // claimed before (6 ms per claim halfway through a 100k drain).
  const lookahead = r.lookahead
    ? sql`, (select count(*)::integer from (
        select 1 from unnest(${names}::text[]) as e(name) cross join lateral (
          select 1 from ${t.jobs} q where q.entrypoint = e.name and q.status = 'queued' and q.execute_after <= now()
          order by q.priority desc, q.id limit ${r.batchSize + 1}::integer) x
        limit ${r.batchSize + 1}::integer) due) as lookahead`
    : sql``
  return sql`select '[' || string_agg(${sql.raw(claimedJson)}, ',') || ']' as jobs${lookahead}
    from ${t.claimJobs}(${r.workerId}::uuid, ${r.batchSize}::integer,
    ${names}::text[], ${e.map((x) => x.cap)}::integer[],
    ${e.map((x) => x.retryAfterMs)}::float8[]) with ordinality c
    where ${asyncCommit(r.asyncCommit)}
    group by (c.ordinality - 1) / ${sql.raw(String(CLAIMED_PER_ROW))}`
}
