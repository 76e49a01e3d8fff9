// How the operations commands print: borderless tables for people, JSON for scripts.
import Table from 'cli-table3'
import type { Traceback } from '../types.js'
import { printable } from '../validation/text.js'
import { type CliIo, line } from './context.js'

type Cell = string | number | boolean | null | undefined

/**
 * Columns separated by two spaces, no borders and no colours, so the output greps and diffs.
 * A cell is one line (a line break or tab in a name is shown escaped) unless its column is
 * one of `multiline` (an error with its stack frames).
 */
export function table(head: string[], rows: Cell[][], multiline: readonly string[] = []): string {
  const keepsLines = head.map((h) => multiline.includes(h))
  const none = { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '' }
  const sides = { left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ' }
  const t = new Table({ head, chars: { ...none, ...sides }, style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 } })
  for (const row of rows) t.push(row.map((cell, i) => (cell === null || cell === undefined ? '-' : typeof cell === 'string' ? printable(cell, !keepsLines[i]) : cell)))
  // cli-table3 pads the last column too; trailing spaces only get in the way.
  return t
    .toString()
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')
}

/** Dates come out as ISO strings (JSON.stringify's own conversion). */
export const printJson = (io: CliIo, value: unknown) => line(io.stdout, JSON.stringify(value, null, 2))

/** 850ms, 1.2s, 3m 5s, 2h 3m, 4d 1h: a span of time at a glance. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-'
  const abs = Math.abs(ms)
  if (abs < 1000) return `${Math.round(ms)}ms`
  if (abs < 60_000) return `${(ms / 1000).toFixed(1).replace(/\.0$/, '')}s`
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ]
  const i = units.findIndex(([, size]) => abs >= size)
  const [big, bigSize] = units[i]!
  const [small, smallSize] = units[i + 1]!
  const whole = Math.floor(abs / bigSize)
  const rest = Math.floor((abs - whole * bigSize) / smallSize)
  return `${ms < 0 ? '-' : ''}${whole}${big}${rest ? ` ${rest}${small}` : ''}`
}

/** An instant as ISO text without milliseconds, and how far it is from now. */
export function when(date: Date | null | undefined, now = Date.now()): string {
  if (!date) return '-'
  const iso = date.toISOString().replace(/\.\d{3}Z$/, 'Z')
  const delta = date.getTime() - now
  return `${iso} (${delta >= 0 ? `in ${duration(delta)}` : `${duration(-delta)} ago`})`
}

/** "Name: message", then the first stack frames, indented: enough to recognise the bug. */
export function tracebackLines(traceback: Traceback | null, frames = 3): string[] {
  if (!traceback) return []
  const stack = (traceback.stack ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('at '))
    .slice(0, frames)
  return [`${traceback.name}: ${firstLine(traceback.message)}`, ...stack.map((l) => `  ${l}`)]
}

export const firstLine = (text: string) => text.split('\n')[0] ?? ''

/** "12 jobs", "1 job". */
export const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`

/** A job status with what it means where the name alone is not plain. */
export function statusLabel(status: string | null): string {
  switch (status) {
    case null:
      return 'unknown'
    case 'picked':
      return 'picked (running)'
    case 'failed':
      return 'failed (held)'
    case 'exception':
      return 'exception (dropped)'
    default:
      return status
  }
}
