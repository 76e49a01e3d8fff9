import type { JobId, Traceback } from '../types.js'
import type { FailureRecord } from './operations.js'

/** One bug: the failures sharing a fingerprint. */
export interface FailureGroup {
  fingerprint: string
  name: string
  /** The newest failure's message. */
  message: string
  entrypoints: string[]
  count: number
  jobIds: JobId[]
  /** The ones requeue() can put back. */
  heldJobIds: JobId[]
  lastAt: Date
}

/** The first stack line that names a frame ("at fn (file:line:col)"), without the "at ". */
function topFrame(stack: string | null | undefined): string | null {
  for (const line of (stack ?? '').split('\n')) {
    const trimmed = line.trim()
    if (trimmed.startsWith('at ')) return trimmed.slice(3)
  }
  return null
}

/** The error's name plus its top stack frame: the same bug gives the same text whatever the message says. */
export function fingerprintOf(traceback: Traceback | null): string {
  if (!traceback) return 'unknown error'
  const frame = topFrame(traceback.stack)
  return frame ? `${traceback.name} at ${frame}` : traceback.name
}

/** One row per fingerprint, the most frequent first (then the most recent). */
export function groupFailures(records: readonly FailureRecord[]): FailureGroup[] {
  const groups = new Map<string, FailureGroup>()
  for (const r of records) {
    let g = groups.get(r.fingerprint)
    if (!g) {
      g = { fingerprint: r.fingerprint, name: r.traceback?.name ?? 'Error', message: r.traceback?.message ?? '', entrypoints: [], count: 0, jobIds: [], heldJobIds: [], lastAt: r.at }
      groups.set(r.fingerprint, g)
    }
    g.count++
    g.jobIds.push(r.jobId)
    if (r.held) g.heldJobIds.push(r.jobId)
    if (!g.entrypoints.includes(r.entrypoint)) g.entrypoints.push(r.entrypoint)
    if (r.at > g.lastAt) {
      g.lastAt = r.at
      g.message = r.traceback?.message ?? ''
    }
  }
  return [...groups.values()].sort((a, b) => b.count - a.count || b.lastAt.getTime() - a.lastAt.getTime())
}
