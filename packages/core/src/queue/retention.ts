import type { Executor } from '../driver/driver.js'
import { execute } from '../driver/executor.js'
import { ConfigurationError } from '../errors.js'
import { pruneDedupeWindows, pruneHeldBatch, pruneLogBatch, pruneStatistics, storedRetention } from '../sql/prune.js'
import { tablesFor } from '../sql/tables.js'
import { type Duration, toMs } from '../validation/duration.js'

/** How long finished work is kept; `false` keeps it forever. */
export interface RetentionPolicy {
  /** Log rows of successful jobs. Default '7d'. */
  successful?: Duration | false
  /** Log rows of jobs dropped after their last attempt (exception) or removed by retention (deleted). Default '30d'. */
  exception?: Duration | false
  /** Log rows of canceled jobs. Default '30d'. */
  canceled?: Duration | false
  /** Log rows of failed attempts: retried (queued) and held (failed). Default '30d'. */
  failures?: Duration | false
  /** Held (failed) jobs in the queue, from when they were held: deleted with a 'deleted' log row. Default: kept until requeued. */
  heldJobs?: Duration | false
}

/** The queue-wide policy, plus how long the per-minute statistics are kept (default '30d'). */
export interface QueueRetentionPolicy extends RetentionPolicy {
  statistics?: Duration | false
}

type LogKey = Exclude<keyof RetentionPolicy, 'heldJobs'>
const LOG_STATUSES: Record<LogKey, string[]> = {
  successful: ['successful'],
  exception: ['exception', 'deleted'],
  canceled: ['canceled'],
  failures: ['queued', 'failed'],
}
const DEFAULTS: Required<QueueRetentionPolicy> = { successful: '7d', exception: '30d', canceled: '30d', failures: '30d', heldJobs: false, statistics: '30d' }
const FIELDS = Object.keys(DEFAULTS)

/** Checks a policy; milliseconds per field, null for keep-forever, undefined where not given. */
export function checkRetention(policy: QueueRetentionPolicy | undefined, what: string): Partial<Record<keyof QueueRetentionPolicy, number | null>> {
  if (policy === undefined) return {}
  if (typeof policy !== 'object' || policy === null) throw new ConfigurationError(`${what} must be an object such as { successful: '7d' }`)
  const out: Partial<Record<keyof QueueRetentionPolicy, number | null>> = {}
  for (const [key, value] of Object.entries(policy)) {
    if (!FIELDS.includes(key)) throw new ConfigurationError(`unknown ${what} field ${JSON.stringify(key.slice(0, 64))}; known: ${FIELDS.join(', ')}`)
    if (value === undefined) continue
    if (value === false) out[key as keyof QueueRetentionPolicy] = null
    else {
      const ms = toMs(value as Duration, `${what}.${key}`)
      if (ms <= 0) throw new ConfigurationError(`${what}.${key} must be more than 0, or false to keep forever`)
      out[key as keyof QueueRetentionPolicy] = ms
    }
  }
  return out
}

export interface PruneResult {
  /** Log rows deleted. */
  log: number
  /** Held jobs deleted. */
  heldJobs: number
  /** Statistics buckets deleted. */
  statistics: number
  /** The time slice ran out with more to delete: the next run goes on. */
  more: boolean
}

export interface PruneOptions {
  queue: Partial<Record<keyof QueueRetentionPolicy, number | null>>
  /**
   * Per-entrypoint overrides of this process (checked, as from checkRetention). Those the
   * fleet registered (the entrypoints table) apply too, and win: every pruner, and
   * `pgq prune`, applies the same.
   */
  entrypoints: ReadonlyMap<string, Partial<Record<keyof RetentionPolicy, number | null>>>
  /** Rows per statement: each is its own short transaction, so no lock is held for long. Default 5,000. */
  batchSize?: number
  /** Stop starting batches after this time (ms since epoch). */
  deadline: number
  /** Stop starting batches once aborted (the worker is stopping); the result says `more`. */
  signal?: AbortSignal
  /**
   * After each full batch, wait this many times as long as it took: the prune then takes at
   * most 1/(1 + pace) of one backend's time, and the pause grows by itself on a busy server.
   * Default 3 (the drain beside a prune of 10M rows lost 0-4% instead of 20-31%,
   * docs/retention.md); 0 for a catch-up in a quiet hour.
   */
  pace?: number
}

/** One retention pass: batches of at most `batchSize` rows, one status and scope at a time, until done or the deadline. */
export async function prune(db: Executor, schema: string, o: PruneOptions): Promise<PruneResult> {
  const t = tablesFor(schema)
  const batch = o.batchSize ?? 5000
  const result: PruneResult = { log: 0, heldJobs: 0, statistics: 0, more: false }
  const entrypoints = new Map(o.entrypoints)
  for (const row of await execute(db, storedRetention(t))) {
    const stored = (typeof row.retention === 'string' ? JSON.parse(row.retention) : row.retention) as Partial<Record<keyof RetentionPolicy, number | null>>
    entrypoints.set(row.name as string, { ...entrypoints.get(row.name as string), ...stored })
  }
  const rule = (key: keyof QueueRetentionPolicy, overrides?: Partial<Record<string, number | null>>) => {
    const own = overrides?.[key]
    if (own !== undefined) return own
    const queue = o.queue[key]
    return queue !== undefined ? queue : (DEFAULTS[key] === false ? null : toMs(DEFAULTS[key] as Duration, key))
  }
  /** Runs `statement` until a batch comes back short; false when the deadline stopped it. */
  const pace = o.pace ?? 3
  const drain = async (statement: () => ReturnType<typeof pruneLogBatch>, add: (n: number) => void): Promise<boolean> => {
    for (;;) {
      if (Date.now() >= o.deadline || o.signal?.aborted) return false
      const started = Date.now()
      const [row] = await execute(db, statement())
      const n = Number(row?.deleted ?? 0)
      add(n)
      if (n < batch) return true
      await pause(Math.min(pace * (Date.now() - started), o.deadline - Date.now()), o.signal)
    }
  }
  const scopes = (key: keyof RetentionPolicy) => {
    const overridden = [...entrypoints].filter(([, p]) => p[key] !== undefined)
    return [
      { ageMs: rule(key), scope: { except: overridden.map(([name]) => name) } },
      ...overridden.map(([name, p]) => ({ ageMs: rule(key, p), scope: { only: name, except: [] } })),
    ].filter((s): s is { ageMs: number; scope: { only?: string; except: string[] } } => s.ageMs !== null)
  }
  for (const key of Object.keys(LOG_STATUSES) as LogKey[]) {
    for (const { ageMs, scope } of scopes(key)) {
      for (const status of LOG_STATUSES[key]) {
        if (!(await drain(() => pruneLogBatch(t, status, ageMs, scope, batch), (n) => (result.log += n)))) return { ...result, more: true }
      }
    }
  }
  for (const { ageMs, scope } of scopes('heldJobs')) {
    if (!(await drain(() => pruneHeldBatch(t, ageMs, scope, batch), (n) => (result.heldJobs += n)))) return { ...result, more: true }
  }
  const statisticsMs = rule('statistics')
  if (statisticsMs !== null) {
    if (!(await drain(() => pruneStatistics(t, statisticsMs, batch), (n) => (result.statistics += n)))) return { ...result, more: true }
  }
  // Throttle windows that have run out (dedupe mode 'throttle'): bookkeeping, not counted.
  if (!(await drain(() => pruneDedupeWindows(t, batch), () => undefined))) return { ...result, more: true }
  return result
}

/** Sleeps `ms` (nothing if <= 0), or until `signal` aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (!(ms > 0) || signal?.aborted) return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })
}
