// The values of pgq's Postgres enums, without Drizzle: the public types use them, and the
// published declarations must not pull in drizzle-orm's (which fail with skipLibCheck off).
export const JOB_STATUSES = ['queued', 'picked', 'successful', 'exception', 'canceled', 'deleted', 'failed', 'blocked'] as const
export type JobStatus = (typeof JOB_STATUSES)[number]

/** What becomes of a job whose attempts ran out: kept as 'failed' (requeue later) or dropped as 'exception'. */
export const FAILURE_ACTIONS = ['hold', 'delete'] as const
export type FailureActionName = (typeof FAILURE_ACTIONS)[number]
