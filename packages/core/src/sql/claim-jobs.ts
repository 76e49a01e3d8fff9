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

/**
 * Claim: one call of claim_jobs (drizzle/0004), the only claim. Limits, rates and pauses
 * are the fleet's, read from the entrypoints table inside it; the worker only says what it
 * can take. Stale rescues first, then priority, then age.
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
  return sql`select c.*${lookahead} from ${t.claimJobs}(${r.workerId}::uuid, ${r.batchSize}::integer,
    ${names}::text[], ${e.map((x) => x.cap)}::integer[],
    ${e.map((x) => x.retryAfterMs)}::float8[]) c
    where ${asyncCommit(r.asyncCommit)}`
}
