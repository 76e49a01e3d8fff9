// One dashboard frame as text: pure (snapshot and terminal size in, string out), so it is
// tested without a terminal or a database.
import Table from 'cli-table3'
import type { FailureRecord } from '../../queue/operations.js'
import { duration, firstLine } from '../format.js'
import { clock, figure, fit, type Paint, paint, percent, rate } from './format.js'
import { printable } from '../../validation/text.js'
import type { DashboardSnapshot, EntrypointLine } from './snapshot.js'

export interface RenderOptions {
  /** Terminal columns; every line stays narrower (the last column is left free so no terminal wraps). */
  width: number
  /** Terminal rows: failures, then entrypoints, are cut to fit. Default: no limit. */
  height?: number
  color: boolean
  /** Shown when there is no snapshot yet. */
  schema: string
  /** The line under the header, e.g. 'rates over the last 5m · every 2s · q quits'. */
  status?: string
  /** The last refresh failed: one line in the frame, above the last good data (the header's time is its time). */
  error?: { message: string; at: Date } | null
}

interface Column<T> {
  head: string
  width: number
  align: 'left' | 'right'
  cell(row: T, p: Paint): string
}

const NO_BORDERS = Object.fromEntries(
  ['top', 'top-mid', 'top-left', 'top-right', 'bottom', 'bottom-mid', 'bottom-left', 'bottom-right', 'left', 'left-mid', 'mid', 'mid-mid', 'right', 'right-mid'].map((c) => [c, '']),
)

/** Columns separated by one space, a rule under the bold head; cli-table3 cuts long cells with an ellipsis. */
function table<T>(columns: Column<T>[], rows: T[], p: Paint): string[] {
  const t = new Table({
    head: columns.map((c) => p(c.head, 'bold')),
    colWidths: columns.map((c) => c.width),
    colAligns: columns.map((c) => c.align),
    chars: { ...NO_BORDERS, middle: ' ' },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  })
  for (const row of rows) t.push(columns.map((c) => c.cell(row, p)))
  const [head = '', ...body] = t.toString().split('\n')
  const ruleWidth = columns.reduce((sum, c) => sum + c.width, columns.length - 1)
  return [head, p('─'.repeat(ruleWidth), 'dim'), ...body].map((line) => line.trimEnd())
}

/** The width left for one flexible column beside fixed ones (one space between columns), at least `least`. */
const rest = (width: number, fixed: number[], least: number) => Math.max(least, width - fixed.reduce((a, b) => a + b, fixed.length))

const numeric = <T>(head: string, value: (row: T) => string, style?: (row: T) => Parameters<Paint>[1] | undefined): Column<T> => ({
  head,
  width: 6,
  align: 'right',
  cell: (row, p) => {
    const s = style?.(row)
    return s ? p(value(row), s) : value(row)
  },
})

function entrypointColumns(rows: EntrypointLine[], width: number): Column<EntrypointLine>[] {
  const figures: Column<EntrypointLine>[] = [
    numeric('queued', (r) => figure(r.queued)),
    numeric('sched', (r) => figure(r.scheduled)),
    numeric('picked', (r) => figure(r.picked)),
    numeric('held', (r) => figure(r.held), (r) => (r.held > 0 ? 'red' : undefined)),
    { head: 'paused', width: 6, align: 'left', cell: (r, p) => (r.paused ? p('yes', 'yellow') : '') },
    numeric('ok/min', (r) => rate(r.perMinute)),
    numeric('fail%', (r) => percent(r.failureRate), (r) => (r.failureRate === null || r.failureRate === 0 ? undefined : r.failureRate >= 0.1 ? 'red' : 'yellow')),
    { ...numeric('oldest', (r) => duration(r.oldestQueuedAgeMs)), width: 7 },
  ]
  // As wide as the longest name, as far as the figures leave room (the rest is cut with an ellipsis).
  const longest = Math.max(10, ...rows.map((r) => printable(r.entrypoint, true).length))
  const name = Math.min(longest, rest(width, figures.map((c) => c.width), 10))
  return [{ head: 'entrypoint', width: name, align: 'left', cell: (r) => printable(r.entrypoint, true) }, ...figures]
}

function failureColumns(failures: FailureRecord[], width: number, now: Date): Column<FailureRecord>[] {
  const idWidth = Math.max(3, ...failures.map((f) => String(f.jobId).length + 1))
  const fixed = [idWidth, 14, 7, 11]
  return [
    { head: 'job', width: idWidth, align: 'left', cell: (f) => `#${f.jobId}` },
    { head: 'entrypoint', width: 14, align: 'left', cell: (f) => printable(f.entrypoint, true) },
    { head: 'state', width: 7, align: 'left', cell: (f, p) => (f.held ? p('held', 'red') : 'dropped') },
    { head: 'error', width: rest(width, fixed, 10), align: 'left', cell: (f) => errorText(f) },
    { head: 'when', width: 11, align: 'right', cell: (f) => `${duration(Math.max(0, now.getTime() - f.at.getTime()))} ago` },
  ]
}

/** `Name: message`, first line only: a frame row is one line. */
function errorText(f: FailureRecord): string {
  if (!f.traceback) return '(no traceback)'
  const message = firstLine(f.traceback.message).trim()
  return printable(message ? `${f.traceback.name}: ${message}` : f.traceback.name, true)
}

function header(snapshot: DashboardSnapshot | null, options: RenderOptions, p: Paint): string[] {
  const schema = snapshot?.schema ?? options.schema
  const health = !snapshot
    ? p(options.error ? 'no data yet' : 'connecting…', 'dim')
    : snapshot.unhealthy.length === 0
      ? p('healthy', 'green')
      : p(`unhealthy: ${snapshot.unhealthy.join(', ')} (pgq doctor)`, 'red')
  const time = snapshot ? ` · ${clock(snapshot.at)}` : ''
  const lines = [`${p('pgq dashboard', 'bold')} · schema ${schema}${time} · ${health}`]
  if (options.status) lines.push(p(options.status, 'dim'))
  // Short, so the message fits: the header's time already says how old the data shown is.
  if (options.error) lines.push(p(`! refresh failed ${clock(options.error.at)}: ${options.error.message}`, 'red'))
  return lines
}

function entrypointSection(snapshot: DashboardSnapshot, rows: number, width: number, p: Paint): string[] {
  const all = snapshot.entrypoints
  if (all.length === 0) return [`no entrypoints in schema ${snapshot.schema} yet: nothing queued, no policies, no schedules`]
  const shown = all.slice(0, rows)
  const lines = table(entrypointColumns(all, width), shown, p)
  if (shown.length < all.length) lines.push(p(`… ${all.length - shown.length} more entrypoints (a taller terminal shows them)`, 'dim'))
  return lines
}

function failureSection(snapshot: DashboardSnapshot, rows: number, width: number, p: Paint): string[] {
  const all = snapshot.failures
  const title = p('recent failures', 'bold')
  if (all.length === 0) return ['', `${title}: none`]
  const shown = all.slice(0, rows)
  if (shown.length === 0) return ['', `${title}: ${all.length} (a taller terminal lists them)`]
  const cut = shown.length < all.length ? ` (newest ${shown.length} of ${all.length})` : ''
  return ['', `${title}${cut}`, ...table(failureColumns(shown, width, snapshot.at), shown, p)]
}

/**
 * The whole frame, lines joined by '\n' (no trailing newline). With a height, the failures
 * give way first (fewer rows, then none), then the entrypoints.
 */
export function render(snapshot: DashboardSnapshot | null, options: RenderOptions): string {
  const p = paint(options.color)
  const width = options.width - 1
  const height = options.height ?? Number.POSITIVE_INFINITY
  const lines = [...header(snapshot, options, p), '']
  if (snapshot) {
    const entrypoints = snapshot.entrypoints.length
    const tableLines = entrypoints === 0 ? 1 : 2 + entrypoints // head, rule, rows
    if (lines.length + tableLines > height) {
      // Head, rule and the "more" line stay.
      lines.push(...entrypointSection(snapshot, Math.max(0, height - lines.length - 3), width, p))
    } else {
      lines.push(...entrypointSection(snapshot, entrypoints, width, p))
      const left = height - lines.length
      // Blank, title, head and rule come before the first failure row.
      if (left >= 2) lines.push(...failureSection(snapshot, Math.max(0, left - 4), width, p))
    }
  }
  while (lines.at(-1) === '') lines.pop()
  return lines.map((line) => fit(line, width)).join('\n')
}
