import type { Row } from '../driver/executor.js'
import type { Job, JobStatus, LogEntry, Traceback } from '../types.js'

// int8 arrives as a string from both drivers; ids stay far below 2^53.
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v))
const date = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)))

export function toJob<P>(r: Row): Job<P> {
  return {
    id: num(r.id),
    entrypoint: r.entrypoint as string,
    payload: r.payload as P,
    headers: (r.headers ?? null) as Job['headers'],
    priority: num(r.priority),
    status: r.status as JobStatus,
    attempts: num(r.attempts),
    dedupeKey: (r.dedupe_key ?? null) as string | null,
    workerId: (r.worker_id ?? null) as string | null,
    created: date(r.created),
    updated: date(r.updated),
    heartbeat: date(r.heartbeat),
    executeAfter: date(r.execute_after),
  }
}

export function toLogEntry(r: Row): LogEntry {
  return {
    jobId: num(r.job_id),
    status: r.status as JobStatus,
    entrypoint: r.entrypoint as string,
    priority: num(r.priority),
    attempts: num(r.attempts),
    created: date(r.created),
    traceback: (r.traceback ?? null) as Traceback | null,
  }
}

export const toId = (r: Row): number => num(r.id)
