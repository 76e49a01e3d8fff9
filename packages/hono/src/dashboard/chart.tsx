// An inline SVG line chart, drawn on the server: no script, no assets. Each column has a
// <title>, which browsers show as a tooltip.
import { formatMs } from './format.js'
import type { Bin } from './series.js'

export interface Line {
  label: string
  color: string
  values: (number | null)[]
}

const WIDTH = 960
const HEIGHT = 200
const PAD = { left: 56, right: 12, top: 10, bottom: 24 }

/** The smallest 1, 2 or 5 × 10^k at or above `max` (at least 1). */
export function niceCeiling(max: number): number {
  if (!(max > 0)) return 1
  const power = 10 ** Math.floor(Math.log10(max))
  return [1, 2, 5, 10].map((m) => m * power).find((n) => n >= max)!
}

/** The runs of non-null values, as [x, y] points: one polyline each (a lone point is drawn as a dot). */
function runs(values: (number | null)[], x: (i: number) => number, y: (v: number) => number): [number, number][][] {
  const found: [number, number][][] = []
  let current: [number, number][] = []
  values.forEach((v, i) => {
    if (v === null) {
      if (current.length) found.push(current)
      current = []
    } else current.push([x(i), y(v)])
  })
  if (current.length) found.push(current)
  return found
}

function timeLabel(d: Date, withDate: boolean): string {
  const iso = d.toISOString()
  return withDate ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16)
}

export function LineChart({ title, bins, stepMs, lines, format }: { title: string; bins: Bin[]; stepMs: number; lines: Line[]; format: (n: number) => string }) {
  const max = niceCeiling(Math.max(0, ...lines.flatMap((l) => l.values.filter((v): v is number => v !== null))))
  const innerW = WIDTH - PAD.left - PAD.right
  const innerH = HEIGHT - PAD.top - PAD.bottom
  const colW = innerW / bins.length
  const x = (i: number) => PAD.left + colW * (i + 0.5)
  const y = (v: number) => PAD.top + innerH * (1 - v / max)
  const withDate = bins.length * stepMs > 86_400_000
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * max)
  const labelAt = [0, Math.floor(bins.length / 2), bins.length - 1].filter((i, k, all) => all.indexOf(i) === k)
  return (
    <figure>
      <svg class="chart" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={title}>
        <title>{title}</title>
        {ticks.map((t) => (
          <g>
            <line class="grid" x1={PAD.left} x2={WIDTH - PAD.right} y1={y(t)} y2={y(t)} />
            <text x={PAD.left - 6} y={y(t) + 4} text-anchor="end">
              {format(t)}
            </text>
          </g>
        ))}
        {labelAt.map((i) => (
          <text x={x(i)} y={HEIGHT - 6} text-anchor="middle">
            {timeLabel(bins[i]!.start, withDate)}
          </text>
        ))}
        {lines.map((line) =>
          runs(line.values, x, y).map((points) =>
            points.length === 1 ? (
              <circle cx={points[0]![0].toFixed(1)} cy={points[0]![1].toFixed(1)} r="3" fill={line.color} />
            ) : (
              <polyline points={points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' ')} fill="none" stroke={line.color} stroke-width="2" stroke-linejoin="round" />
            ),
          ),
        )}
        {bins.map((bin, i) => (
          <rect x={PAD.left + colW * i} y={PAD.top} width={colW} height={innerH} fill="transparent">
            <title>{`${timeLabel(bin.start, true)} UTC\n${lines.map((l) => `${l.label}: ${l.values[i] === null ? '–' : format(l.values[i]!)}`).join('\n')}`}</title>
          </rect>
        ))}
      </svg>
      <figcaption class="legend">
        {lines.map((l) => (
          <span>
            <span class="swatch" style={`background:${l.color}`} />
            {l.label}
          </span>
        ))}
      </figcaption>
    </figure>
  )
}

export const COLORS = { succeeded: '#1f8a4c', failed: '#c2362f', retried: '#b7791f', p50: '#2f5fd0', p95: '#8e44ad' }

/** Jobs finished per step, and their wait (due → claimed) p50 and p95. */
export function ThroughputCharts({ bins, stepMs }: { bins: Bin[]; stepMs: number }) {
  const count = (n: number) => String(Number(n.toFixed(1)))
  return (
    <div>
      <LineChart
        title="Jobs finished per interval"
        bins={bins}
        stepMs={stepMs}
        format={count}
        lines={[
          { label: 'succeeded', color: COLORS.succeeded, values: bins.map((b) => b.succeeded) },
          { label: 'failed for good', color: COLORS.failed, values: bins.map((b) => b.failed) },
          { label: 'retried', color: COLORS.retried, values: bins.map((b) => b.retried) },
        ]}
      />
      <LineChart
        title="Wait from due to claimed"
        bins={bins}
        stepMs={stepMs}
        format={formatMs}
        lines={[
          { label: 'wait p50', color: COLORS.p50, values: bins.map((b) => b.waitP50) },
          { label: 'wait p95', color: COLORS.p95, values: bins.map((b) => b.waitP95) },
        ]}
      />
    </div>
  )
}
