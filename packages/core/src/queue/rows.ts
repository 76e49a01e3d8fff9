import type { Row } from '../driver/driver.js'
import { CLAIMED_COLUMNS } from '../sql/claim-jobs.js'
import type { Job, JobStatus, Json, LogEntry, Traceback } from '../types.js'
import { parseTimestamptz } from '../validation/time.js'

// int8 arrives as a string from both drivers; ids stay far below 2^53.
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v))
/**
 * Rows read together share a few timestamps (now() of each statement): each distinct text is
 * parsed once. A job reads three of them in turn, so one slot would miss.
 */
const parsed = new Map<string, number>()
const date = (v: unknown): Date => {
  if (v instanceof Date) return v
  const text = String(v)
  let ms = parsed.get(text)
  if (ms === undefined) {
    if (parsed.size >= 64) parsed.clear()
    ms = parseTimestamptz(text)
    parsed.set(text, ms)
  }
  return new Date(ms)
}

/** Every Job is made here, so all have one shape (one hidden class for V8). */
function makeJob<P>(
  id: number, entrypoint: string, payload: P, headers: unknown, priority: number, status: JobStatus, attempts: number,
  maxAttempts: number, onExhausted: unknown, dedupeKey: unknown, workerId: string | null,
  created: Date, updated: Date, heartbeat: Date, runAt: Date, progress: unknown, dependsOn: number[] | null,
): Job<P> {
  return {
    id, entrypoint, payload, headers: (headers ?? null) as Job['headers'], priority, status, attempts, maxAttempts,
    onExhausted: onExhausted === 'delete' ? 'delete' : 'hold', dedupeKey: (dedupeKey ?? null) as string | null, workerId,
    created, updated, heartbeat, runAt, progress: (progress ?? null) as Json | null, dependsOn,
  }
}

/** A jobs row as a Job (the claim's answer: toClaimedJobs). */
export function toJob<P>(r: Row): Job<P> {
  return makeJob<P>(
    num(r.id), r.entrypoint as string, r.payload as P, r.headers, num(r.priority), r.status as JobStatus, num(r.attempts),
    num(r.max_attempts ?? 1), r.on_exhausted, r.dedupe_key, (r.worker_id ?? null) as string | null,
    date(r.created), date(r.updated), date(r.heartbeat), date(r.execute_after), r.progress,
    Array.isArray(r.depends_on) ? r.depends_on.map(num) : null,
  )
}

// Where each column sits in a claimed job's array (after its place, at 0).
const AT = Object.fromEntries(CLAIMED_COLUMNS.map((c, i) => [c, i + 1])) as Record<(typeof CLAIMED_COLUMNS)[number], number>

/** A timestamp column's last text and its time: a claim's jobs mostly share them. */
function timeSlot(): (text: unknown) => number {
  let last: unknown
  let ms = 0
  return (text) => {
    if (text !== last) {
      last = text
      ms = parseTimestamptz(text as string)
    }
    return ms
  }
}

/**
 * The claim's answer (sql/claim-jobs.ts) as Jobs, in the claim's order: each array says its
 * place. The claim leaves out what it just set (status 'picked', this worker, heartbeat =
 * updated). Its numbers are JSON numbers; each timestamp column keeps its last text and time,
 * since a claim's jobs mostly share them (0.3 µs a job less than a map and a row per job).
 */
export function toClaimedJobs<P>(rows: readonly Row[], workerId: string): Job<P>[] {
  const jobs: Job<P>[] = []
  const created = timeSlot(), updated = timeSlot(), runAt = timeSlot()
  for (const row of rows) {
    for (const v of JSON.parse(row.jobs as string) as unknown[][]) {
      const updatedMs = updated(v[AT.updated])
      jobs[(v[0] as number) - 1] = makeJob<P>(
        v[AT.id] as number, v[AT.entrypoint] as string, v[AT.payload] as P, v[AT.headers], v[AT.priority] as number, 'picked',
        v[AT.attempts] as number, v[AT.max_attempts] as number, v[AT.on_exhausted], v[AT.dedupe_key], workerId,
        new Date(created(v[AT.created])), new Date(updatedMs), new Date(updatedMs), new Date(runAt(v[AT.execute_after])), null, null,
      )
    }
  }
  return jobs
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
    result: (r.result ?? null) as Json | null,
  }
}

export const toId = (r: Row): number => num(r.id)
