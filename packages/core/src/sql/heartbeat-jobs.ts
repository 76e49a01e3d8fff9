import { type SQL, sql } from './template.js'
import { asyncCommit } from './async-commit.js'
import type { Tables } from './tables.js'

/** Heartbeat every running job of one worker in one statement; returns the ids still held. */
export function heartbeatJobs(t: Tables, workerId: string, ids: number[], async: boolean): SQL {
  return sql`
    update ${t.jobs} set heartbeat = now()
    where id = any(${ids}::bigint[]) and worker_id = ${workerId}::uuid and status = 'picked' and ${asyncCommit(async)}
    returning id`
}
