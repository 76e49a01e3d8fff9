import type { Executor, Row } from '../driver/driver.js'
import { execute } from '../driver/executor.js'
import { ConfigurationError } from '../errors.js'
import { type DurabilityLevel, levelOf } from '../migrations/durability.js'
import { SCHEMA_VERSION } from '../schema/version.js'
import { expiredLeases, healthTablesPresent, hiddenSessions, jobsTableStatistics, stuckSchedules, tablePersistence, xminHolders } from '../sql/health.js'
import { installedVersion } from '../sql/inspect-jobs.js'
import { type Tables, tablesFor } from '../sql/tables.js'
import { type Duration, toMs } from '../validation/duration.js'

export type HealthCheckName = 'xmin-horizon' | 'dead-tuples' | 'expired-leases' | 'schedules' | 'schema-version' | 'durability'

/** One finding. Its message names objects and numbers only: never a payload, a query text or a stored value. */
export interface HealthCheck {
  name: HealthCheckName
  ok: boolean
  message: string
  /**
   * The figure the check judges: xmin-horizon the oldest transaction's age in seconds,
   * dead-tuples the dead tuples, expired-leases and schedules how many, schema-version the
   * installed version, durability the level.
   */
  value?: number | string
}

export interface HealthReport {
  /** Every check ok. */
  healthy: boolean
  checks: HealthCheck[]
}

/** health()'s options, as durations. */
export interface HealthOptions {
  /**
   * A running job whose heartbeat is older than this has outlived its lease: one duration
   * for every entrypoint, or one per entrypoint (others '60s'); 0 never expires. Default on
   * a Queue: each registered entrypoint's leaseTimeout; else '60s'.
   */
  lease?: Duration | Readonly<Record<string, Duration>>
  /** A transaction open this long holds the xmin horizon back. Default '5m'. */
  xminAge?: Duration
  /** A schedule whose next_run is this far in the past has nobody firing it. Default '2m'. */
  scheduleGrace?: Duration
  /** An inline schedule 'running' this long without a heartbeat is stuck. Default '10m'. */
  inlineTimeout?: Duration
  /**
   * Dead tuples past the limits count as bloat only when the jobs table was not vacuumed
   * within this long (or never): on a busy queue they pile up between autovacuum passes. Default '10m'.
   */
  vacuumGrace?: Duration
  /** The firers' clock, which schedules' next_run follows. Default: the database's now(). */
  now?: Date
}

/** checkHealth's settings, in milliseconds. */
export interface HealthSettings {
  leaseMs?: number | Readonly<Record<string, number>>
  xminAgeMs?: number
  scheduleGraceMs?: number
  inlineTimeoutMs?: number
  vacuumGraceMs?: number
  now?: Date
}

export const HEALTH_DEFAULTS = { leaseMs: 60_000, xminAgeMs: 300_000, scheduleGraceMs: 120_000, inlineTimeoutMs: 600_000, vacuumGraceMs: 600_000 } as const

/**
 * The jobs table counts as bloated past both: more dead tuples than DEAD_TUPLES_LIMIT, and
 * more than DEAD_TUPLES_FRACTION of all its tuples, with no vacuum within the grace. The
 * table's autovacuum starts at 5,000 dead tuples (migration 0005): a busy queue passes both
 * limits between passes about a minute apart, so only a table vacuum has not reached for
 * long is failing. (Vacuum that runs but cannot remove them is the xmin-horizon check's.)
 */
export const DEAD_TUPLES_LIMIT = 10_000
export const DEAD_TUPLES_FRACTION = 0.2

const HEALTH_OPTIONS = ['lease', 'xminAge', 'scheduleGrace', 'inlineTimeout', 'vacuumGrace', 'now']

/** health()'s options checked and in milliseconds; `leases` (a Queue's own) apply when `lease` is not given. */
export function healthSettings(options: HealthOptions | undefined, leases: Readonly<Record<string, number>> = {}): HealthSettings {
  const o = options ?? {}
  if (typeof o !== 'object' || o === null) throw new ConfigurationError('health options must be an object')
  for (const key of Object.keys(o)) {
    if (!HEALTH_OPTIONS.includes(key)) throw new ConfigurationError(`unknown health option ${JSON.stringify(key.slice(0, 64))}; known: ${HEALTH_OPTIONS.join(', ')}`)
  }
  if (o.now !== undefined && !(o.now instanceof Date && Number.isFinite(o.now.getTime()))) throw new ConfigurationError('health option now must be a valid Date')
  let leaseMs: HealthSettings['leaseMs'] = Object.keys(leases).length > 0 ? leases : undefined
  if (typeof o.lease === 'object' && o.lease !== null) {
    leaseMs = Object.fromEntries(Object.entries(o.lease).map(([name, d]) => [name, toMs(d, `lease.${name}`)]))
  } else if (o.lease !== undefined) {
    leaseMs = toMs(o.lease, 'lease')
  }
  return {
    leaseMs,
    xminAgeMs: o.xminAge === undefined ? undefined : toMs(o.xminAge, 'xminAge'),
    scheduleGraceMs: o.scheduleGrace === undefined ? undefined : toMs(o.scheduleGrace, 'scheduleGrace'),
    inlineTimeoutMs: o.inlineTimeout === undefined ? undefined : toMs(o.inlineTimeout, 'inlineTimeout'),
    vacuumGraceMs: o.vacuumGrace === undefined ? undefined : toMs(o.vacuumGrace, 'vacuumGrace'),
    now: o.now,
  }
}

const seconds = (s: number) => `${s < 10 ? Math.round(s * 10) / 10 : Math.round(s)} s`
const round3 = (n: number) => Math.round(n * 1000) / 1000
const quote = (text: unknown) => JSON.stringify(String(text ?? ''))

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = n
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`
}

const notInstalled = (t: Tables) => `pgq is not installed in schema "${t.schema}" (run pgq install)`

/** The xmin horizon: the oldest transaction (or prepared transaction) of this database, and replication slots. */
async function xminHorizon(db: Executor, limitMs: number): Promise<HealthCheck> {
  const holders = await execute(db, xminHolders())
  const [hidden] = await execute(db, hiddenSessions())
  const timed = holders.filter((h) => h.age_s !== null)
  const untimed = holders.filter((h) => h.age_s === null)
  const oldest = timed[0]
  const ageS = oldest ? Number(oldest.age_s) : 0
  let ok = ageS * 1000 <= limitMs
  const parts: string[] = []
  if (!oldest) {
    parts.push('no open transaction holds it back')
  } else {
    const who =
      oldest.kind === 'prepared'
        ? `prepared transaction ${quote(oldest.name)}`
        : `pid ${oldest.pid}, application_name ${quote(oldest.name)}, state ${quote(oldest.state)}`
    parts.push(`oldest transaction open ${seconds(ageS)} (${who}), ${Number(oldest.xid_age ?? 0)} transactions behind; limit ${seconds(limitMs / 1000)}`)
  }
  for (const h of untimed) {
    const xids = Number(h.xid_age ?? 0)
    if (h.kind === 'slot' && !h.active) {
      ok = false
      parts.push(`replication slot ${quote(h.name)} is inactive and holds xmin ${xids} transactions back until it is dropped or its consumer returns`)
    } else if (h.kind === 'slot') {
      parts.push(`replication slot ${quote(h.name)} (active) holds xmin ${xids} transactions back`)
    } else {
      parts.push(`${h.backend_type ?? 'session'} pid ${h.pid} (${quote(h.name)}) holds xmin ${xids} transactions back (a standby's hot_standby_feedback)`)
    }
  }
  const hiddenCount = Number(hidden?.count ?? 0)
  if (hiddenCount > 0) parts.push(`${hiddenCount} sessions of other roles are not visible to this role (grant it pg_read_all_stats)`)
  if (!ok) parts.push('vacuum cannot remove rows deleted since: dead tuples pile up and claims slow down')
  return { name: 'xmin-horizon', ok, message: parts.join('; '), value: round3(ageS) }
}

async function deadTuples(db: Executor, t: Tables, vacuumGraceMs: number): Promise<HealthCheck> {
  const [row] = await execute(db, jobsTableStatistics(t))
  if (!row) return { name: 'dead-tuples', ok: false, message: notInstalled(t) }
  const live = Number(row.live)
  const dead = Number(row.dead)
  const total = live + dead
  const fraction = total === 0 ? 0 : dead / total
  const bloated = dead > DEAD_TUPLES_LIMIT && fraction > DEAD_TUPLES_FRACTION
  const vacuumedMs = row.vacuumed_s_ago === null ? null : Number(row.vacuumed_s_ago) * 1000
  const ok = !bloated || (vacuumedMs !== null && vacuumedMs <= vacuumGraceMs)
  const vacuumed = vacuumedMs === null ? 'never vacuumed' : `last vacuumed ${seconds(vacuumedMs / 1000)} ago`
  let message =
    `"${t.schema}".jobs: ${dead} dead and ${live} live tuples (${Math.round(fraction * 100)}% dead), ` +
    `table ${bytes(Number(row.table_bytes))}, indexes ${bytes(Number(row.index_bytes))}, ${vacuumed}`
  if (!ok) message += `; limit ${DEAD_TUPLES_LIMIT} dead and ${DEAD_TUPLES_FRACTION * 100}% with no vacuum for ${seconds(vacuumGraceMs / 1000)}: vacuum is not keeping up`
  else if (bloated) message += '; past the limits, but vacuumed within the grace: a busy queue between autovacuum passes'
  return { name: 'dead-tuples', ok, message, value: dead }
}

async function leases(db: Executor, t: Tables, leaseMs: HealthSettings['leaseMs']): Promise<HealthCheck> {
  const map = typeof leaseMs === 'object' && leaseMs !== null ? Object.entries(leaseMs).map(([entrypoint, ms]) => ({ entrypoint, ms })) : []
  const defaultMs = typeof leaseMs === 'number' ? leaseMs : HEALTH_DEFAULTS.leaseMs
  const rows = await execute(db, expiredLeases(t, map, defaultMs))
  const count = rows.reduce((sum, r) => sum + Number(r.count), 0)
  if (count === 0) return { name: 'expired-leases', ok: true, message: 'no running job is past its lease', value: 0 }
  const shown = rows.slice(0, 5).map(
    (r) =>
      `${quote(r.entrypoint)}: ${r.count} (lease ${seconds(Number(r.lease_ms) / 1000)}, oldest job ${r.oldest_id} without a heartbeat for ${seconds(Number(r.oldest_s))})`,
  )
  if (rows.length > shown.length) shown.push(`and ${rows.length - shown.length} more entrypoints`)
  return {
    name: 'expired-leases',
    ok: false,
    message: `${count} running jobs past their lease, their workers gone and no worker of the entrypoint claiming to rescue them: ${shown.join('; ')}`,
    value: count,
  }
}

async function schedules(db: Executor, t: Tables, now: Date | undefined, graceMs: number, inlineTimeoutMs: number): Promise<HealthCheck> {
  const rows = await execute(db, stuckSchedules(t, now ?? null, graceMs, inlineTimeoutMs))
  if (rows.length === 0) return { name: 'schedules', ok: true, message: `every schedule fired within ${seconds(graceMs / 1000)} of its time`, value: 0 }
  const total = Number(rows[0]!.total)
  const describe = (r: Row) => {
    const what = `${quote(r.entrypoint)} ${quote(r.expression)}`
    const overdue = Number(r.overdue_s) * 1000 > graceMs
    const stuck = r.status === 'running' && Number(r.heartbeat_s) * 1000 > inlineTimeoutMs
    const reasons = [
      ...(stuck ? [`running inline without a heartbeat for ${seconds(Number(r.heartbeat_s))}`] : []),
      ...(overdue ? [`due ${seconds(Number(r.overdue_s))} ago`] : []),
    ]
    return `${what} ${reasons.join(', ')}`
  }
  const shown = rows.slice(0, 5).map(describe)
  if (total > shown.length) shown.push(`and ${total - shown.length} more`)
  return {
    name: 'schedules',
    ok: false,
    message:
      `${total} schedules nobody fires: ${shown.join('; ')} ` +
      '(no drain, start or maintain() runs them, or they are no longer registered: cleanOld removes those)',
    value: total,
  }
}

async function schemaVersion(db: Executor, t: Tables): Promise<HealthCheck> {
  const [row] = await execute(db, installedVersion(t))
  const version = Number(row?.version ?? 0)
  if (version < SCHEMA_VERSION) {
    return { name: 'schema-version', ok: false, message: `"${t.schema}" is at version ${version}, this code needs ${SCHEMA_VERSION}: run pgq upgrade`, value: version }
  }
  const newer = version > SCHEMA_VERSION ? ' (newer is fine: migrations only add)' : ''
  return { name: 'schema-version', ok: true, message: `"${t.schema}" is at version ${version}, this code needs ${SCHEMA_VERSION}${newer}`, value: version }
}

const LEVELS: Record<DurabilityLevel, string> = {
  durable: 'durable: jobs, log and statistics are logged; a crash loses nothing committed',
  balanced: 'balanced: jobs logged; log and statistics unlogged, emptied by a crash',
  volatile: 'volatile: jobs unlogged; a crash empties the queue',
}

/** Informational: the durability level the tables' persistence amounts to. */
async function durability(db: Executor, t: Tables): Promise<HealthCheck> {
  const rows = await execute(db, tablePersistence(t))
  const unlogged = new Map(rows.map((r) => [r.name as string, r.persistence === 'u']))
  // Not installed is no level to be ok with (the schema-version check fails on it too).
  if (!unlogged.has('jobs')) return { name: 'durability', ok: false, message: notInstalled(t), value: 'unknown' }
  // The same reading as readDurability() and `pgq durability`.
  const level = levelOf(unlogged)
  const message =
    level === 'mixed'
      ? `mixed: unlogged ${[...unlogged].filter(([, u]) => u).map(([name]) => name).join(', ')}, which matches no level (pgq durability --level sets one)`
      : LEVELS[level]
  return { name: 'durability', ok: true, message, value: level }
}

/** Runs one check; a check that cannot run (a privilege, a missing table) fails with the reason. */
async function guard(name: HealthCheckName, check: () => Promise<HealthCheck>): Promise<HealthCheck> {
  try {
    return await check()
  } catch (error) {
    const reason = error instanceof Error ? (error.message.split('\n')[0] ?? error.name) : String(error)
    return { name, ok: false, message: `could not check: ${reason}` }
  }
}

/**
 * Table health of one pgq schema: the xmin horizon, dead tuples of the jobs table, running
 * jobs past their lease, schedules nobody fires, the schema version, and (informational)
 * the durability level. Reads only; needs no current schema, so it reports one behind.
 */
export async function checkHealth(db: Executor, schema: string, options: HealthSettings = {}): Promise<HealthReport> {
  const t = tablesFor(schema)
  const xminAgeMs = options.xminAgeMs ?? HEALTH_DEFAULTS.xminAgeMs
  const graceMs = options.scheduleGraceMs ?? HEALTH_DEFAULTS.scheduleGraceMs
  const inlineTimeoutMs = options.inlineTimeoutMs ?? HEALTH_DEFAULTS.inlineTimeoutMs
  const vacuumGraceMs = options.vacuumGraceMs ?? HEALTH_DEFAULTS.vacuumGraceMs
  const [present] = await execute(db, healthTablesPresent(t))
  const missing = (name: HealthCheckName) => async (): Promise<HealthCheck> => ({ name, ok: false, message: notInstalled(t) })
  const runs: [HealthCheckName, () => Promise<HealthCheck>][] = [
    ['xmin-horizon', () => xminHorizon(db, xminAgeMs)],
    ['dead-tuples', present?.jobs ? () => deadTuples(db, t, vacuumGraceMs) : missing('dead-tuples')],
    ['expired-leases', present?.jobs ? () => leases(db, t, options.leaseMs) : missing('expired-leases')],
    ['schedules', present?.schedules ? () => schedules(db, t, options.now, graceMs, inlineTimeoutMs) : missing('schedules')],
    ['schema-version', present?.migrations ? () => schemaVersion(db, t) : missing('schema-version')],
    ['durability', () => durability(db, t)],
  ]
  // One statement at a time: the executor may be a single connection (the CLI's, a
  // transaction), and a pool is spared a burst of connections for a few small reads.
  const checks: HealthCheck[] = []
  for (const [name, run] of runs) checks.push(await guard(name, run))
  return { healthy: checks.every((c) => c.ok), checks }
}
