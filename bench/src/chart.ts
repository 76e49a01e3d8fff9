// A small bar chart of scenarios 1-3, one bar per queue (pgq+log: pgq with its success log on; pg-floor: the PostgreSQL floor): latest.svg always (no dependencies), latest.png when
// pureimage and a TrueType font are available.
import { createWriteStream, existsSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Results } from './report.ts'

type Shape =
  | { kind: 'rect'; x: number; y: number; w: number; h: number; color: string }
  | { kind: 'text'; x: number; y: number; text: string; size: number; color: string; bold?: boolean }

const COLORS: Record<string, string> = {
  pgq: '#2563eb',
  'pgq+log': '#60a5fa',
  'pg-floor': '#9ca3af',
  'graphile-worker': '#16a34a',
  'pg-boss': '#ea580c',
  'bullmq-redis-aof': '#b91c1c',
  'bullmq-redis-nopersist': '#f87171',
  'bullmq-pg': '#7c3aed',
}
const WIDTH = 900
const FONTS = ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', '/usr/share/fonts/TTF/DejaVuSans.ttf', '/System/Library/Fonts/Supplemental/Arial.ttf']

interface Panel {
  title: string
  unit: string
  lowerIsBetter: boolean
  groups: { label: string; values: Record<string, number | undefined> }[]
}

function panels(r: Results): Panel[] {
  const p: Panel[] = []
  if (r.drain) p.push({ title: `1. Drain throughput (${r.drain.jobs.toLocaleString('en-US')} jobs, ${r.drain.workers} workers)`, unit: 'jobs/s', lowerIsBetter: false, groups: [{ label: 'median', values: r.drain.median }] })
  if (r.enqueue) {
    p.push({
      title: '2. Enqueue throughput (one connection)',
      unit: 'jobs/s',
      lowerIsBetter: false,
      groups: [
        { label: 'one at a time', values: r.enqueue.singleJobsPerSec },
        { label: `batches of ${r.enqueue.batchSize}`, values: r.enqueue.batchJobsPerSec },
      ],
    })
  }
  if (r.latency) {
    const l = r.latency.byQueue
    const pick = (k: 'medianP50' | 'medianP99') => Object.fromEntries(Object.entries(l).map(([q, s]) => [q, s[k]]))
    p.push({ title: '3. Enqueue-to-start latency (listener worker; median of the rounds)', unit: 'ms', lowerIsBetter: true, groups: [{ label: 'p50', values: pick('medianP50') }, { label: 'p99', values: pick('medianP99') }] })
  }
  return p
}

function layout(r: Results): { shapes: Shape[]; height: number } {
  const shapes: Shape[] = []
  let y = 20
  shapes.push({ kind: 'text', x: 20, y: y + 14, text: `pgq benchmark ${r.startedAt.slice(0, 16)}Z, ${r.machine.cpus} cores, PostgreSQL ${r.server.settings.server_version ?? ''}`, size: 16, color: '#111', bold: true })
  y += 34
  const labelW = 260
  const barMax = WIDTH - labelW - 150
  for (const panel of panels(r)) {
    shapes.push({ kind: 'text', x: 20, y: y + 14, text: `${panel.title}, ${panel.unit}${panel.lowerIsBetter ? ' (lower is better)' : ''}`, size: 14, color: '#111', bold: true })
    y += 24
    for (const group of panel.groups) {
      // Each group has its own scale: single enqueues would vanish next to batches.
      const top = Math.max(1e-9, ...Object.values(group.values).filter((v): v is number => v !== undefined && Number.isFinite(v)))
      for (const [queue, value] of Object.entries(group.values)) {
        if (value === undefined || !Number.isFinite(value)) continue
        const w = Math.max(2, (value / top) * barMax)
        shapes.push({ kind: 'text', x: 20, y: y + 13, text: `${queue} ${group.label}`, size: 12, color: '#333' })
        shapes.push({ kind: 'rect', x: labelW, y, w, h: 16, color: COLORS[queue] ?? '#666' })
        const shown = value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(2)
        shapes.push({ kind: 'text', x: labelW + w + 6, y: y + 13, text: shown, size: 12, color: '#111' })
        y += 20
      }
      y += 6
    }
    y += 12
  }
  return { shapes, height: y + 10 }
}

function svg(shapes: Shape[], height: number): string {
  const esc = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;')
  const body = shapes.map((s) =>
    s.kind === 'rect'
      ? `<rect x="${s.x}" y="${s.y}" width="${s.w.toFixed(1)}" height="${s.h}" fill="${s.color}"/>`
      : `<text x="${s.x}" y="${s.y}" font-size="${s.size}" fill="${s.color}"${s.bold ? ' font-weight="bold"' : ''}>${esc(s.text)}</text>`,
  )
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="DejaVu Sans, Arial, sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
${body.join('\n')}
</svg>
`
}

async function png(shapes: Shape[], height: number, file: string): Promise<boolean> {
  const font = FONTS.find((f) => existsSync(f))
  if (!font) return false
  let PImage: typeof import('pureimage')
  try {
    PImage = await import('pureimage')
  } catch {
    return false
  }
  const f = PImage.registerFont(font, 'BenchSans')
  f.loadSync()
  const img = PImage.make(WIDTH, height)
  const ctx = img.getContext('2d')
  ctx.fillStyle = '#ffffff'
  ctx.fillRect(0, 0, WIDTH, height)
  for (const s of shapes) {
    if (s.kind === 'rect') {
      ctx.fillStyle = s.color
      ctx.fillRect(s.x, s.y, s.w, s.h)
    } else {
      ctx.fillStyle = s.color
      ctx.font = `${s.size}px BenchSans`
      ctx.fillText(s.text, s.x, s.y)
    }
  }
  await PImage.encodePNGToStream(img, createWriteStream(file))
  return true
}

/** Writes latest.svg (and latest.png when possible); returns the file names written. */
export async function writeCharts(r: Results, outDir: string): Promise<string[]> {
  const { shapes, height } = layout(r)
  if (!shapes.some((s) => s.kind === 'rect')) return []
  writeFileSync(path.join(outDir, 'latest.svg'), svg(shapes, height))
  const written = ['latest.svg']
  if (await png(shapes, height, path.join(outDir, 'latest.png'))) written.push('latest.png')
  return written
}
