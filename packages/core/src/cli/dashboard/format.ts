// Short figures and styles for the dashboard's narrow columns (durations: ../format.ts).

const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 })

/** 0 … 99999 as is, then 123.5K, 1.2M. */
export function figure(n: number): string {
  return n < 100_000 ? String(n) : compact.format(n)
}

/** Per-minute rates: one decimal below 10, whole above. */
export function rate(perMinute: number): string {
  if (perMinute === 0) return '0'
  if (perMinute < 10) return perMinute.toFixed(1)
  return figure(Math.round(perMinute))
}

/** A share as a percentage; '-' when there is nothing to divide. */
export function percent(share: number | null): string {
  if (share === null) return '-'
  const p = share * 100
  if (p === 0 || p === 100) return `${p}%`
  if (p < 0.1) return '<0.1%'
  return p < 10 ? `${p.toFixed(1)}%` : `${Math.min(99, Math.round(p))}%`
}

/** The local wall-clock time, HH:MM:SS. */
export function clock(at: Date): string {
  return at.toTimeString().slice(0, 8)
}

export type Paint = (text: string, style: 'bold' | 'dim' | 'red' | 'green' | 'yellow') => string

const CODES = { bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39] } as const

/** ANSI styles, or the text untouched when colour is off. */
export const paint = (color: boolean): Paint => (text, style) => (color && text !== '' ? `\x1b[${CODES[style][0]}m${text}\x1b[${CODES[style][1]}m` : text)

const ESC = String.fromCharCode(27)
/** An SGR style sequence, or one character (a code point). */
const PIECE = new RegExp(`${ESC}\\[[0-9;]*m|[\\s\\S]`, 'gu')

/** Cuts a painted line to `width` visible characters: an ellipsis where cut, every style sequence kept so resets still apply. */
export function fit(line: string, width: number): string {
  const pieces = line.match(PIECE) ?? []
  if (pieces.filter((p) => !p.startsWith(ESC)).length <= width) return line
  let out = ''
  let kept = 0
  for (const piece of pieces) {
    if (piece.startsWith(ESC)) out += piece
    else if (kept < width - 1) {
      out += piece
      kept++
    } else if (kept === width - 1) {
      out += '…'
      kept++
    }
  }
  return out
}
