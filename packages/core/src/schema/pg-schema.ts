import { pgSchema } from 'drizzle-orm/pg-core'
import { DEFAULT_SCHEMA } from './default-schema.js'

export { DEFAULT_SCHEMA }

/**
 * Every pgq object lives in this Postgres schema. The name in the generated SQL is a
 * placeholder: the migrator rewrites `"pgq"` to the configured schema when it applies
 * a migration, so two apps can share one database (see migrations/placeholder.ts).
 */
export const pgqSchema = pgSchema(DEFAULT_SCHEMA)

export const JOB_STATUSES = [
  'queued',
  'picked',
  'successful',
  'exception',
  'canceled',
  'deleted',
  'failed',
] as const
export type JobStatus = (typeof JOB_STATUSES)[number]

export const jobStatus = pgqSchema.enum('job_status', JOB_STATUSES)
