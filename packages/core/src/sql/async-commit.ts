import { type SQL, sql } from './template.js'

/**
 * A predicate (always true) that makes the statement's own transaction commit without
 * waiting for the WAL flush. Worker writes use it: a server crash can forget the last few
 * hundred ms of claims, results and heartbeats, which only reruns those jobs (at-least-once
 * allows that). Enqueues and cancels never use it, so a job is never lost. It needs the
 * statement to be its own transaction (autocommit), as every worker statement is.
 */
export function asyncCommit(on: boolean): SQL {
  return on ? sql`(select set_config('synchronous_commit', 'off', true)) is not null` : sql`true`
}
