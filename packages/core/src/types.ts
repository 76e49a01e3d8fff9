import type { JobStatus } from './schema/pg-schema.js'

export type { JobStatus }
export type JobId = number

/** A value that survives JSON.stringify/parse unchanged. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json }

export interface Job<P = unknown> {
  id: JobId
  entrypoint: string
  payload: P
  headers: Record<string, Json> | null
  priority: number
  status: JobStatus
  attempts: number
  dedupeKey: string | null
  workerId: string | null
  created: Date
  updated: Date
  heartbeat: Date
  executeAfter: Date
}

/** What pgq records about a failure: the error and where it happened. */
export interface Traceback {
  name: string
  message: string
  stack: string | null
  attempt: number
  workerId: string
  entrypoint: string
  [extra: string]: Json | undefined
}

export interface LogEntry {
  jobId: JobId
  status: JobStatus
  entrypoint: string
  priority: number
  attempts: number
  created: Date
  traceback: Traceback | null
}
