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
}

/**
 * Claim: one call of claim_jobs (drizzle/0004), the only claim. Limits, rates and pauses
 * are the fleet's, read from the entrypoints table inside it; the worker only says what it
 * can take. Stale rescues first, then priority, then age.
 */
export function claimJobs(t: Tables, r: ClaimRequest): SQL {
  const e = r.entrypoints
  return sql`select * from ${t.claimJobs}(${r.workerId}::uuid, ${r.batchSize}::integer,
    ${e.map((x) => x.name)}::text[], ${e.map((x) => x.cap)}::integer[],
    ${e.map((x) => x.retryAfterMs)}::float8[])
    where ${asyncCommit(r.asyncCommit)}`
}
