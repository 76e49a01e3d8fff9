import { type SQL, sql } from 'drizzle-orm'
import { asyncCommit } from './async-commit.js'
import { array, type Tables } from './tables.js'

export interface ClaimRequest {
  workerId: string
  /** Commit without waiting for the WAL flush (see async-commit.ts). */
  asyncCommit: boolean
  /** Most jobs to take in this call, across entrypoints. */
  batchSize: number
  entrypoints: {
    name: string
    /** Most jobs of this entrypoint this worker takes now (its own cap). */
    cap: number
    /** Most jobs of this entrypoint running at once across all workers; 0 = no limit. */
    concurrencyLimit: number
    /** A running job whose heartbeat is older than this is re-picked; 0 = never. */
    retryAfterMs: number
    /**
     * Most jobs of this entrypoint started per second across all workers (a token bucket in
     * Postgres; fractional rates allowed, burst = max(1, rate)); 0 or absent = no limit.
     */
    requestsPerSecond?: number
  }[]
}

/** Claim: one call of the claim_jobs function (drizzle/0001), which does the locking. */
export function claimJobs(t: Tables, r: ClaimRequest): SQL {
  const e = r.entrypoints
  return sql`select * from ${t.claimJobs}(${r.workerId}::uuid, ${r.batchSize}::integer,
    ${array(e.map((x) => x.name))}::text[], ${array(e.map((x) => x.cap))}::integer[],
    ${array(e.map((x) => x.concurrencyLimit))}::integer[], ${array(e.map((x) => x.retryAfterMs))}::float8[],
    ${array(e.map((x) => x.requestsPerSecond ?? 0))}::float8[])
    where ${asyncCommit(r.asyncCommit)}`
}
