// `pgq dashboard`: reads a snapshot every --interval and redraws it in place, until q,
// Ctrl-C, SIGINT, SIGTERM or SIGHUP. --once prints one frame, for scripts.
import { durationFlag, integerFlag, TIMER } from '../arguments.js'
import { type CliIo, type ConnectionFlags, describeError, UsageError } from '../context.js'
import { duration } from '../format.js'
import { explain, withProducer } from '../session.js'
import { render } from './render.js'
import { type DashboardSnapshot, readSnapshot, type SnapshotSource } from './snapshot.js'

type DashboardFlags = ConnectionFlags & { interval: string; window: string; failures: string; once?: boolean }

interface Settings {
  intervalMs: number
  windowMs: number
  failureLimit: number
  /** A refresh without an answer this long is reported (and waited for, not repeated). */
  patienceMs: number
}

const ESC = '\x1b['
const SCREEN = { hideCursor: `${ESC}?25l`, showCursor: `${ESC}?25h`, clear: `${ESC}2J`, home: `${ESC}H`, eraseLine: `${ESC}K`, eraseBelow: `${ESC}J` }
const QUIT_KEYS = new Set(['q', 'Q', '\x03', '\x04']) // q, Ctrl-C and Ctrl-D (raw mode turns them into input)

function settings(flags: DashboardFlags): Settings {
  const intervalMs = durationFlag(flags.interval, '--interval', TIMER)
  if (intervalMs < 100) throw new UsageError(`--interval must be at least 100ms, got ${JSON.stringify(flags.interval)}`)
  const windowMs = durationFlag(flags.window, '--window')
  if (windowMs < 60_000) throw new UsageError(`--window must be at least 1m (the statistics are kept per minute), got ${JSON.stringify(flags.window)}`)
  return { intervalMs, windowMs, failureLimit: integerFlag(flags.failures, '--failures', 0, 1000), patienceMs: Math.min(TIMER.ms, Math.max(10_000, 2 * intervalMs)) }
}

/** What one frame draws: the last good snapshot, and the last refresh's error if it failed. */
interface FrameState {
  snapshot: DashboardSnapshot | null
  error: { message: string; at: Date } | null
}

/** Reads a snapshot into `state`; a failure is kept as one line to show, never thrown. */
async function refresh(source: SnapshotSource, s: Settings, state: FrameState): Promise<void> {
  try {
    state.snapshot = await readSnapshot(source, { windowMs: s.windowMs, failureLimit: s.failureLimit })
    state.error = null
  } catch (error) {
    state.error = { message: describeError(explain(error)), at: new Date() }
  }
}

const wait = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done)
  })

/** The terminal's width; off a terminal $COLUMNS, else 80. */
const columns = (io: CliIo) => (process.stdout.isTTY ? process.stdout.columns : Number(io.env.COLUMNS)) || 80

/** Stops on q (when stdin is a terminal), the usual signals, or a closed stdout; returns the undo. */
function listenForStop(stop: AbortController): () => void {
  const quit = () => stop.abort()
  const onKey = (data: Buffer) => {
    if ([...data.toString('utf8')].some((key) => QUIT_KEYS.has(key))) quit()
  }
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
  for (const s of signals) process.on(s, quit)
  process.stdout.on('error', quit) // EPIPE: whoever read us is gone
  const keys = process.stdin.isTTY === true
  if (keys) {
    process.stdin.setRawMode(true)
    process.stdin.on('data', onKey)
    process.stdin.resume()
  }
  return () => {
    for (const s of signals) process.off(s, quit)
    process.stdout.off('error', quit)
    if (keys) {
      process.stdin.off('data', onKey)
      process.stdin.setRawMode(false)
      process.stdin.pause()
    }
  }
}

/** Redraws in place on a terminal (home, then each line erased to its end); elsewhere appends frames. */
async function live(source: SnapshotSource, s: Settings, io: CliIo, status: string): Promise<number> {
  const tty = process.stdout.isTTY === true
  const color = tty && !io.env.NO_COLOR
  const state: FrameState = { snapshot: null, error: null }
  const draw = () => {
    const frame = render(state.snapshot, {
      width: columns(io),
      height: tty ? process.stdout.rows || undefined : undefined,
      color,
      schema: source.schema,
      status,
      error: state.error,
    })
    if (tty) io.stdout(`${SCREEN.home}${frame.split('\n').join(`${SCREEN.eraseLine}\n`)}${SCREEN.eraseLine}${SCREEN.eraseBelow}`)
    else io.stdout(`${frame}\n\n`)
  }
  const stop = new AbortController()
  const unlisten = listenForStop(stop)
  if (tty) {
    io.stdout(`${SCREEN.hideCursor}${SCREEN.clear}`)
    process.stdout.on('resize', draw)
    draw() // "connecting…" until the first snapshot
  }
  try {
    let inFlight: Promise<void> | null = null
    while (!stop.signal.aborted) {
      const started = Date.now()
      // A refresh that hangs (a lock, a lost network) is reported, and not stacked up behind.
      inFlight ??= refresh(source, s, state).finally(() => {
        inFlight = null
      })
      const answer = new AbortController() // ends the patience timer once the refresh answers
      const patience = wait(s.patienceMs, AbortSignal.any([stop.signal, answer.signal])).then(() => false)
      const answered = await Promise.race([inFlight.then(() => true), patience])
      answer.abort()
      if (stop.signal.aborted) break
      if (!answered) state.error = { message: `no answer from the database within ${s.patienceMs / 1000}s (still waiting)`, at: new Date() }
      draw()
      await wait(Math.max(0, s.intervalMs - (Date.now() - started)), stop.signal)
    }
  } finally {
    unlisten()
    if (tty) {
      process.stdout.off('resize', draw)
      io.stdout(`${SCREEN.showCursor}\n`)
    }
  }
  return 0
}

/** One frame, no escapes beyond colour; exit 1 when the refresh failed (its error is in the frame). */
async function once(source: SnapshotSource, s: Settings, io: CliIo, status: string): Promise<number> {
  const state: FrameState = { snapshot: null, error: null }
  await refresh(source, s, state)
  const color = process.stdout.isTTY === true && !io.env.NO_COLOR
  io.stdout(`${render(state.snapshot, { width: columns(io), color, schema: source.schema, status, error: state.error })}\n`)
  return state.error ? 1 : 0
}

export async function dashboard(flags: DashboardFlags, io: CliIo): Promise<number> {
  const s = settings(flags)
  return withProducer(flags, io, ({ producer }) => {
    const rates = `rates over the last ${duration(s.windowMs)}`
    if (flags.once) return once(producer, s, io, rates)
    return live(producer, s, io, `${rates} · refresh every ${duration(s.intervalMs)}${process.stdin.isTTY ? ' · q quits' : ''}`)
  })
}
