import type { Row } from '../driver/driver.js'
import { CLAIMED_COLUMNS } from '../sql/claim-jobs.js'
import type { Job, JobStatus, Json, LogEntry, Traceback } from '../types.js'

// int8 arrives as a string from both drivers; ids stay far below 2^53.
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v))
/**
 * Rows of one claim share a few timestamps (now() of the claim, of each insert): each
 * distinct text is parsed once. A job reads three of them in turn, so one slot would miss.
 */
const parsed = new Map<string, number>()
const date = (v: unknown): Date => {
  if (v instanceof Date) return v
  const text = String(v)
  let ms = parsed.get(text)
  if (ms === undefined) {
    if (parsed.size >= 64) parsed.clear()
    ms = new Date(text).getTime()
    parsed.set(text, ms)
  }
  return new Date(ms)
}

/**
 * A jobs row as a Job. `claimedBy`: the row comes from the claim, which leaves out what it
 * just set (status 'picked', this worker, heartbeat = updated).
 */
export function toJob<P>(r: Row, claimedBy?: string): Job<P> {
  const updated = date(r.updated)
  return {
    id: num(r.id),
    entrypoint: r.entrypoint as string,
    payload: r.payload as P,
    headers: (r.headers ?? null) as Job['headers'],
    priority: num(r.priority),
    status: claimedBy ? 'picked' : (r.status as JobStatus),
    attempts: num(r.attempts),
    maxAttempts: num(r.max_attempts ?? 1),
    onExhausted: r.on_exhausted === 'delete' ? 'delete' : 'hold',
    dedupeKey: (r.dedupe_key ?? null) as string | null,
    workerId: claimedBy ?? ((r.worker_id ?? null) as string | null),
    created: date(r.created),
    updated,
    heartbeat: claimedBy ? new Date(updated.getTime()) : date(r.heartbeat),
    runAt: date(r.execute_after),
    progress: (r.progress ?? null) as Json | null,
    dependsOn: Array.isArray(r.depends_on) ? r.depends_on.map(num) : null,
  }
}

/** The claim's answer (sql/claim-jobs.ts) as Jobs, in the claim's order: each array says its place. */
export function toClaimedJobs<P>(rows: readonly Row[], workerId: string): Job<P>[] {
  const jobs: Job<P>[] = []
  for (const row of rows) {
    for (const values of JSON.parse(row.jobs as string) as unknown[][]) {
      const r: Row = {}
      for (let i = 0; i < CLAIMED_COLUMNS.length; i++) r[CLAIMED_COLUMNS[i]!] = values[i + 1]
      jobs[(values[0] as number) - 1] = toJob<P>(r, workerId)
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
