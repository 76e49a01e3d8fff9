import type { Tables } from './tables.js'
import { type SQL, sql } from './template.js'

/**
 * Takes or renews the lease of a fleet-wide service: granted when nobody holds it, its
 * holder's lease ran out, or `holder` holds it already. Returns a row only when granted.
 */
export function acquireLease(t: Tables, service: string, holder: string, ttlMs: number): SQL {
  return sql`
    insert into ${t.leases} as l (service, holder, expires)
    values (${service}, ${holder}::uuid, now() + ${ttlMs}::float8 * interval '1 millisecond')
    on conflict (service) do update set holder = excluded.holder, expires = excluded.expires
      where l.expires < now() or l.holder = excluded.holder
    returning l.holder`
}

/** Gives the lease up at a clean stop, so another worker need not wait for it to expire. */
export function releaseLease(t: Tables, service: string, holder: string): SQL {
  return sql`delete from ${t.leases} where service = ${service} and holder = ${holder}::uuid`
}
