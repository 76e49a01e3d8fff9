import { pgSchema } from 'drizzle-orm/pg-core'
import { DEFAULT_SCHEMA } from './default-schema.js'
import { FAILURE_ACTIONS, JOB_STATUSES } from './enums.js'

export { DEFAULT_SCHEMA, FAILURE_ACTIONS, JOB_STATUSES }
export type { FailureActionName, JobStatus } from './enums.js'

/**
 * Every pgq object lives in this Postgres schema. The name in the generated SQL is a
 * placeholder: the migrator rewrites `"pgq"` to the configured schema when it applies
 * a migration, so two apps can share one database (see migrations/placeholder.ts).
 */
export const pgqSchema = pgSchema(DEFAULT_SCHEMA)


export const jobStatus = pgqSchema.enum('job_status', JOB_STATUSES)

export const failureAction = pgqSchema.enum('failure_action', FAILURE_ACTIONS)
