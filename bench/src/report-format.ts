// Number formats of the report's cells.
export type Fmt = (n: number | undefined) => string

export const fmtInt: Fmt = (n) => (n === undefined || Number.isNaN(n) ? '-' : Math.round(n).toLocaleString('en-US'))
/** µs per job: a tenth shown below 100, so a value just over a goal (6.1 against ≤ 6) does not print as the goal. */
export const fmtUs: Fmt = (n) => (n === undefined || Number.isNaN(n) ? '-' : n < 100 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US'))
export const fmtMs: Fmt = (n) => (n === undefined || Number.isNaN(n) ? '-' : n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : Math.round(n).toString())
export const fmtX: Fmt = (n) => (n === undefined || !Number.isFinite(n) ? '-' : n < 10 ? `${n.toFixed(2)}×` : `${n.toFixed(1)}×`)
export const fmtMb: Fmt = (n) => (n === undefined || Number.isNaN(n) ? '-' : n.toFixed(1))
export const fmt2: Fmt = (n) => (n === undefined || Number.isNaN(n) ? '-' : n.toFixed(2))

/** pgq relative to another queue, so that > 1 always means pgq is better. */
export const better = (pgq: number | undefined, other: number | undefined, higherIsBetter: boolean) =>
  pgq === undefined || other === undefined ? undefined : higherIsBetter ? pgq / other : other / pgq

/** A change as a signed percentage: -12.0% is 12% less. */
export const fmtPct = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '-' : `${n > 0 ? '+' : n < 0 ? '-' : '±'}${Math.abs(n * 100).toFixed(1)}%`)
