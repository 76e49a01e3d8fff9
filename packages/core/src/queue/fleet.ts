import type { Executor, Row } from '../driver/driver.js'
import { execute } from '../driver/executor.js'
import { ConfigurationError, SchemaOutdatedError } from '../errors.js'
import { SCHEMA_VERSION } from '../schema/version.js'
import { FAILURE_ACTIONS, type FailureActionName } from '../schema/enums.js'
import { entrypointPolicies, setEntrypointPolicy } from '../sql/entrypoint-policy.js'
import { registerEntrypoints } from '../sql/register-entrypoints.js'
import { tablesFor } from '../sql/tables.js'
import type { DeclaredPolicy, PolicyChange } from '../types.js'
import type { QueueConnectionOptions } from './options.js'
import { schemaGate } from './schema-check.js'
import { entrypointNameProblem } from '../validation/entrypoint-names.js'
import { shown } from '../validation/shown.js'

/** An entrypoint's fleet policy as stored: what every worker's claim obeys. */
export interface EntrypointPolicy {
  name: string
  /** Most jobs running at once across all workers; 0: no limit. */
  concurrencyLimit: number
  /** Most jobs started per second across all workers; 0: no limit. */
  requestsPerSecond: number
  paused: boolean
  /** Attempts given to jobs enqueued from now on; null: 1. */
  maxAttempts: number | null
  /** What becomes of those jobs when their attempts run out; null: 'hold'. */
  onExhausted: FailureActionName | null
  /** Retention overrides registered for it, in milliseconds (null: forever); null: the queue's. */
  retention: Record<string, number | null> | null
  /**
   * Its slowest run in the last hour's statistics, in ms; read by registration only (a
   * drain's first estimate of how long a job takes), absent elsewhere.
   */
  recentRunMs?: number
}

/** One field a registration overwrote: another deployment (or an operator) had set it otherwise. */
export interface PolicyConflict {
  entrypoint: string
  field: 'concurrencyLimit' | 'requestsPerSecond' | 'maxAttempts' | 'onExhausted' | 'retention'
  stored: number | string | Record<string, number | null> | null
  declared: number | string | Record<string, number | null> | null
}

const FIELDS = [
  ['concurrencyLimit', 'concurrency_limit'],
  ['requestsPerSecond', 'requests_per_second'],
  ['maxAttempts', 'max_attempts'],
  ['onExhausted', 'on_exhausted'],
  ['retention', 'retention'],
] as const

function toPolicy(r: Row): EntrypointPolicy {
  return {
    name: r.name as string,
    concurrencyLimit: Number(r.concurrency_limit),
    requestsPerSecond: Number(r.requests_per_second),
    paused: r.paused === true,
    maxAttempts: r.max_attempts == null ? null : Number(r.max_attempts),
    onExhausted: (r.on_exhausted ?? null) as FailureActionName | null,
    retention: (typeof r.retention === 'string' ? JSON.parse(r.retention) : (r.retention ?? null)) as EntrypointPolicy['retention'],
  }
}

const unset = (stored: unknown) => stored === null || stored === undefined || stored === 0

/** Whether the claim holds this entrypoint to a fleet-wide limit. */
export const isLimited = (p: EntrypointPolicy | undefined) => !!p && (p.concurrencyLimit > 0 || p.requestsPerSecond > 0)

function checkChange(name: unknown, c: PolicyChange): void {
  const problem = entrypointNameProblem(name, 'the entrypoint name')
  if (problem) throw new ConfigurationError(problem)
  const known = new Set(['concurrencyLimit', 'requestsPerSecond', 'paused', 'maxAttempts', 'onExhausted'])
  for (const key of Object.keys(c)) if (!known.has(key)) throw new ConfigurationError(`unknown policy field ${JSON.stringify(key)}; known: ${[...known].join(', ')}`)
  const { concurrencyLimit: lim, requestsPerSecond: rate, maxAttempts: max, onExhausted: on } = c
  if (lim !== undefined && (!Number.isSafeInteger(lim) || lim < 0 || lim > 2 ** 31 - 1)) throw new ConfigurationError(`concurrencyLimit must be an integer >= 0 (0: no limit), got ${lim}`)
  if (rate !== undefined && (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0)) throw new ConfigurationError(`requestsPerSecond must be a finite number >= 0 (0: no limit), got ${rate}`)
  if (max !== undefined && (!Number.isSafeInteger(max) || max < 1 || max > 2 ** 31 - 1)) throw new ConfigurationError(`maxAttempts must be an integer >= 1, got ${max}`)
  if (on !== undefined && !FAILURE_ACTIONS.includes(on)) throw new ConfigurationError(`onExhausted must be 'hold' or 'delete', got ${shown(on)}`)
  if (c.paused !== undefined && typeof c.paused !== 'boolean') throw new ConfigurationError(`paused must be true or false, got ${shown(c.paused)}`)
}

/**
 * Registers declared policies and checks the schema version, in one statement. Returns
 * the stored policy of each declared entrypoint and the fields it overwrote.
 */
export async function register(
  db: Executor,
  schema: string | undefined,
  declared: readonly DeclaredPolicy[],
  checkSchema: boolean,
): Promise<{ policies: Map<string, EntrypointPolicy>; conflicts: PolicyConflict[] }> {
  const t = tablesFor(schema)
  const [row] = await execute(db, registerEntrypoints(t, declared))
  const version = Number(row?.version ?? 0)
  if (checkSchema && version < SCHEMA_VERSION) {
    throw new SchemaOutdatedError(`the pgq schema "${t.schema}" is at version ${version}, this code needs version ${SCHEMA_VERSION}`)
  }
  const parse = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value) as Row[]
  const before = new Map(parse(row?.before).map((r) => [r.name as string, r]))
  const policies = new Map([...before].map(([name, r]) => [name, toPolicy(r)]))
  const conflicts: PolicyConflict[] = []
  for (const w of parse(row?.written)) {
    const name = w.name as string
    policies.set(name, toPolicy(w))
    const b = before.get(name)
    if (!b) continue
    for (const [field, column] of FIELDS) {
      // A value nobody set (a registration that declared nothing stores null, or 0 for the limits) is no one's to overwrite.
      if (unset(b[column])) continue
      if (JSON.stringify(b[column] ?? null) !== JSON.stringify(w[column] ?? null)) conflicts.push({ entrypoint: name, field, stored: (b[column] ?? null) as never, declared: (w[column] ?? null) as never })
    }
  }
  for (const [name, ms] of Object.entries(parseObject(row?.recent_run_ms))) {
    const policy = policies.get(name)
    if (policy && Number.isFinite(Number(ms))) policy.recentRunMs = Number(ms)
  }
  return { policies, conflicts }
}

const parseObject = (value: unknown) => ((typeof value === 'string' ? JSON.parse(value) : value) ?? {}) as Record<string, unknown>

/** Pause, resume and fleet-wide limits of entrypoints; what the CLI and dashboards call. Safe on the edge. */
export function createFleet(options: QueueConnectionOptions & { ready?: () => Promise<unknown> }) {
  const db = options.driver
  const t = tablesFor(options.schema)
  const ready = options.ready ?? schemaGate(db, t.schema, options.checkSchema ?? true)
  const change = async (name: string, c: PolicyChange): Promise<EntrypointPolicy> => {
    checkChange(name, c)
    await ready()
    const [row] = await execute(db, setEntrypointPolicy(t, name, c))
    return toPolicy(row!)
  }
  return {
    /** No worker claims this entrypoint's jobs until resume(); running ones finish, enqueue still works. */
    pause: (entrypoint: string) => change(entrypoint, { paused: true }),
    /** Lets workers claim again, and wakes listening ones at once. */
    resume: (entrypoint: string) => change(entrypoint, { paused: false }),
    /**
     * Sets fleet-wide fields; the claim of every worker obeys them from its next claim. A
     * deployment that declares a different value writes it back when it starts.
     */
    setEntrypointPolicy: (entrypoint: string, policy: Omit<PolicyChange, 'paused'>) => change(entrypoint, policy),
    /** The stored policies (all, or of these entrypoints). */
    async entrypointPolicies(names?: readonly string[]): Promise<EntrypointPolicy[]> {
      await ready()
      return (await execute(db, entrypointPolicies(t, names ? [...names] : null))).map(toPolicy)
    },
  }
}

export type Fleet = ReturnType<typeof createFleet>
