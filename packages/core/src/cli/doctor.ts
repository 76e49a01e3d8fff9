import type { Executor } from '../driver/driver.js'
import { checkHealth } from '../queue/health.js'
import { durationFlag } from './arguments.js'
import { type CliIo, type ConnectionFlags, line, resolveConnection, withClient } from './context.js'

type DoctorFlags = ConnectionFlags & { lease?: string; xminAge?: string; vacuumGrace?: string; json?: boolean }

/** One line per check (ok or FAIL), or the report as JSON; exit code 1 if any check failed. */
export async function doctor(flags: DoctorFlags, io: CliIo): Promise<number> {
  const { url, schema } = resolveConnection(flags, io)
  const leaseMs = durationFlag(flags.lease ?? '60s', '--lease')
  const xminAgeMs = durationFlag(flags.xminAge ?? '5m', '--xmin-age')
  const vacuumGraceMs = durationFlag(flags.vacuumGrace ?? '10m', '--vacuum-grace')
  const report = await withClient(url, (conn) => {
    const db: Executor = { query: (text, values) => conn.query(text, values) }
    return checkHealth(db, schema, { leaseMs, xminAgeMs, vacuumGraceMs })
  })
  if (flags.json) {
    line(io.stdout, JSON.stringify(report, null, 2))
  } else {
    const width = Math.max(...report.checks.map((c) => c.name.length))
    for (const check of report.checks) line(io.stdout, `${check.ok ? 'ok  ' : 'FAIL'}  ${check.name.padEnd(width)}  ${check.message}`)
  }
  return report.healthy ? 0 : 1
}

