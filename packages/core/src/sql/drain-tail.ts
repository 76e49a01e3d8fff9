import { eligibleCount } from './inspect-jobs.js'
import type { Tables } from './tables.js'
import { type SQL, sql } from './template.js'

/** The pruner's lease name: a drain prunes only once no one holds it. */
export const PRUNER_LEASE = 'pruner'

/**
 * What a drain asks before it ends, as two columns: how many of these entrypoints' jobs are
 * due (`eligible`), and whether retention is due (`prune_due`: no one holds the pruner's
 * lease, which a drain's pass keeps for the pruner's interval). Added to the drain's last
 * finishing statement, or run alone when there is nothing to finish.
 */
export function drainTailColumns(t: Tables, entrypoints: readonly string[]): SQL {
  return sql`(${eligibleCount(t, [...entrypoints])}) as eligible,
    not exists (select 1 from ${t.leases} where service = ${PRUNER_LEASE} and expires > now()) as prune_due`
}

export function drainTail(t: Tables, entrypoints: readonly string[]): SQL {
  return sql`select ${drainTailColumns(t, entrypoints)}`
}
