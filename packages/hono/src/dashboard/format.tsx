// How times, durations and statuses read on the pages (UTC: the server knows no viewer's zone).

/** 2026-05-01 12:34:56 UTC, in a <time> with the exact instant. */
export function Time({ at, now }: { at: Date | null; now?: Date }) {
  if (!at) return <span class="muted">never</span>
  const text = `${at.toISOString().slice(0, 19).replace('T', ' ')} UTC`
  return (
    <time datetime={at.toISOString()} title={text}>
      {now ? relative(at.getTime() - now.getTime()) : text}
    </time>
  )
}

/** 'in 5 min' / '3 h ago'. */
export function relative(deltaMs: number): string {
  const text = formatMs(Math.abs(deltaMs))
  return Math.abs(deltaMs) < 1000 ? 'now' : deltaMs > 0 ? `in ${text}` : `${text} ago`
}

/** 850 → '850 ms', 1500 → '1.5 s', 90000 → '1.5 min'. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${trim(ms / 1000)} s`
  if (ms < 3_600_000) return `${trim(ms / 60_000)} min`
  if (ms < 86_400_000) return `${trim(ms / 3_600_000)} h`
  return `${trim(ms / 86_400_000)} d`
}

const trim = (n: number) => String(Number(n.toFixed(1)))

export function Status({ status }: { status: string | null }) {
  return <span class={`status status-${status ?? 'unknown'}`}>{status ?? 'unknown'}</span>
}

/** JSON for a <pre>: indented, cut at `max` characters (a huge payload must not make a huge page). */
export function jsonText(value: unknown, max = 64 * 1024): string {
  const text = JSON.stringify(value, null, 2) ?? 'null'
  return text.length > max ? `${text.slice(0, max)}\n… (${text.length - max} more characters not shown)` : text
}
