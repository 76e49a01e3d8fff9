import { eventsChannel, schemaName } from '../schema/schema-name.js'
import { type SQL, sql } from './template.js'

/** Qualified names of one installed pgq schema, built once (the name is validated). */
export interface Tables {
  schema: string
  channel: string
  jobs: SQL
  log: SQL
  statistics: SQL
  leases: SQL
  schedules: SQL
  dedupeWindows: SQL
  jobsIdSequence: string
  entrypoints: SQL
  claimJobs: SQL
  notifyIds: SQL
  linkDependencies: SQL
  releaseDependents: SQL
  notifyInsert: SQL
  rejectDuplicateJobs: SQL
  migrations: SQL
}

export function tablesFor(schema?: string): Tables {
  const s = schemaName(schema)
  const q = (name: string) => sql.raw(`"${s}".${name}`)
  return {
    schema: s,
    channel: eventsChannel(s),
    jobs: q('jobs'),
    log: q('log'),
    statistics: q('statistics'),
    leases: q('leases'),
    schedules: q('schedules'),
    dedupeWindows: q('dedupe_windows'),
    jobsIdSequence: `"${s}".jobs_id_seq`,
    entrypoints: q('entrypoints'),
    claimJobs: q('claim_jobs'),
    notifyIds: q('notify_ids'),
    linkDependencies: q('link_dependencies'),
    releaseDependents: q('release_dependents'),
    notifyInsert: q('notify_insert'),
    rejectDuplicateJobs: q('reject_duplicate_jobs'),
    migrations: q('pgq_migrations'),
  }
}
