// The long-running worker's LISTEN connection. A LISTEN can fail silently (a transaction-mode
// pooler accepts it and then delivers nothing; a half-open TCP connection looks fine), so the
// listener never trusts it: it proves delivery with a NOTIFY round trip at start and every
// health check, and reconnects with backoff when a round trip fails or the connection closes.
import type { ListenerConnection, PgqDriver } from '../driver/driver.js'
import { ConfigurationError } from '../errors.js'
import { notifications } from './notifications.js'
import { ListenerUnavailableError } from './listener-errors.js'
import { parseNotification, type QueueNotification } from './notify-events.js'

export interface ListenerOptions {
  driver: PgqDriver
  /** `<schema>_events` (see eventsChannel). */
  channel: string
  /** Every event but pings. Should not throw; a throw is rethrown outside the driver. */
  onNotification(n: QueueNotification): void
  /** The connection died or stopped delivering; reconnecting has begun. Poll meanwhile. */
  onLost?(error: Error): void
  /** Delivering again. Events sent while lost are gone: poll once to catch up. */
  onRestored?(): void
  /** Default 30 s. */
  healthCheckIntervalMs?: number
  /** How long a NOTIFY may take to come back (also bounds LISTEN and the setup query). Default 5 s. */
  roundTripTimeoutMs?: number
  /** Reconnect backoff, doubling from min to max. Default 100 ms .. 5 s. */
  reconnectDelayMs?: { min: number; max: number }
}

export interface Listener {
  close(): Promise<void>
  /** True while the connection is proven to deliver; false while reconnecting and after close. */
  readonly healthy: boolean
}

/** One connection and what hangs on it. */
interface Live {
  session: ListenerConnection
  unsubscribe: (() => void)[]
  /** Set when the connection closed; pending waits on it fail with this. */
  error?: Error
  aborts: Set<(e: Error) => void>
}

class Timeout extends Error {}
/** pg_notify went through but the ping never came back on the listener. */
class NoDelivery extends Error {}

const CHANNEL = /^[a-z0-9_]{1,63}$/

/**
 * Connects, LISTENs and proves delivery. Rejects with ListenerUnavailableError when the
 * connection cannot receive notifications, or with the driver's error when it cannot connect.
 */
export async function startListener(options: ListenerOptions): Promise<Listener> {
  const { driver, channel } = options
  if (!CHANNEL.test(channel)) {
    throw new ConfigurationError(`invalid channel ${JSON.stringify(channel)}: use 1-63 lower-case letters, digits or _`)
  }
  const interval = positive(options.healthCheckIntervalMs ?? 30_000, 'healthCheckIntervalMs')
  const timeoutMs = positive(options.roundTripTimeoutMs ?? 5_000, 'roundTripTimeoutMs')
  const backoff = options.reconnectDelayMs ?? { min: 100, max: 5_000 }
  positive(backoff.min, 'reconnectDelayMs.min')
  if (!(backoff.max >= backoff.min)) throw new ConfigurationError('reconnectDelayMs.max must be >= min')

  const pings = new Map<string, () => void>()
  /** Waits that close() must cut short. */
  const aborts = new Set<(e: Error) => void>()
  let current: Live | undefined
  let healthy = false
  let closed = false
  let healthTimer: ReturnType<typeof setTimeout> | undefined
  let reconnecting: Promise<void> | undefined
  let closing: Promise<void> | undefined

  /** `work`, unless the timeout (if `what` is given), the connection's death or close() comes first. */
  function guarded<T>(work: Promise<T>, live: Live | undefined, what?: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer)
        aborts.delete(fail)
        live?.aborts.delete(fail)
      }
      const fail = (e: Error) => {
        done()
        reject(e)
      }
      const timer = what === undefined ? undefined : setTimeout(() => fail(new Timeout(`${what} timed out after ${timeoutMs} ms`)), timeoutMs)
      if (timer) unref(timer)
      aborts.add(fail)
      live?.aborts.add(fail)
      if (closed) fail(new Error('listener closed'))
      else if (live?.error) fail(live.error)
      work.then((v) => {
        done()
        resolve(v)
      }, fail)
    })
  }

  function sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const fail = (e: Error) => {
        clearTimeout(timer)
        aborts.delete(fail)
        reject(e)
      }
      const timer = setTimeout(() => {
        aborts.delete(fail)
        resolve()
      }, ms)
      unref(timer)
      aborts.add(fail)
    })
  }

  function dispatch(ch: string, payload: string): void {
    if (ch !== channel) return
    const n = parseNotification(payload)
    if (n === null) return
    if (n.type === 'ping') {
      pings.get(n.id)?.()
      return
    }
    report(() => options.onNotification(n))
  }

  async function roundTrip(live: Live): Promise<void> {
    const id = crypto.randomUUID()
    const arrived = new Promise<void>((resolve) => pings.set(id, resolve))
    let sent = false
    const send = notifications.ping(driver, channel, id)
    try {
      await guarded(Promise.all([send.then(() => (sent = true)), arrived]), live, 'NOTIFY round trip')
    } catch (e) {
      if (e instanceof Timeout && sent) {
        throw new NoDelivery(`a NOTIFY on "${channel}" sent through the driver's pool did not arrive on the listener's connection within ${timeoutMs} ms`)
      }
      throw e
    } finally {
      pings.delete(id)
      send.catch(() => undefined)
    }
  }

  async function establish(): Promise<Live> {
    const connecting = driver.listener()
    // No timeout of ours: the driver's connect timeout applies (a cold Neon compute can take seconds).
    const session = await guarded(connecting, undefined).catch((e: unknown) => {
      // Abandoned by close(): give the connection back whenever it arrives.
      connecting.then((s) => s.close(), () => undefined)
      throw e
    })
    const live: Live = { session, unsubscribe: [], aborts: new Set() }
    live.unsubscribe.push(
      session.onNotification(dispatch),
      session.onClose((error) => {
        live.error ??= error
        for (const abort of [...live.aborts]) abort(error)
        lose(live, error)
      }),
    )
    try {
      if (!(await guarded(notifications.inAutocommit(session), live, 'transaction check'))) {
        throw new ListenerUnavailableError(
          'in-transaction',
          'The listener connection is inside a transaction block, where LISTEN does not take effect and notifications are held until it ends.',
        )
      }
      await guarded(notifications.listen(session, channel), live, 'LISTEN')
      await roundTrip(live)
      return live
    } catch (e) {
      await dispose(live)
      throw e
    }
  }

  async function dispose(live: Live): Promise<void> {
    for (const off of live.unsubscribe) off()
    await live.session.close().catch(() => undefined)
  }

  function scheduleHealthCheck(live: Live): void {
    healthTimer = setTimeout(() => {
      roundTrip(live).then(
        () => current === live && scheduleHealthCheck(live),
        (e: unknown) => lose(live, toError(e)),
      )
    }, interval)
    unref(healthTimer)
  }

  function lose(live: Live, error: Error): void {
    if (closed || current !== live) return
    current = undefined
    healthy = false
    clearTimeout(healthTimer)
    report(() => options.onLost?.(error))
    reconnecting = reconnect(live)
  }

  async function reconnect(old: Live): Promise<void> {
    await dispose(old)
    for (let delay = backoff.min; !closed; delay = Math.min(delay * 2, backoff.max)) {
      try {
        // Jitter, so that workers do not all reconnect in the same instant after a restart.
        await sleep(delay / 2 + (Math.random() * delay) / 2)
        const live = await establish()
        if (closed) return void (await dispose(live))
        current = live
        healthy = true
        scheduleHealthCheck(live)
        report(() => options.onRestored?.())
        return
      } catch {
        // Closed, or not yet back: try again (the loop ends once closed).
      }
    }
  }

  try {
    current = await establish()
  } catch (e) {
    closed = true
    if (e instanceof NoDelivery) {
      throw new ListenerUnavailableError('no-delivery', `LISTEN/NOTIFY does not work on this connection: ${e.message}.`, { cause: e })
    }
    throw e
  }
  healthy = true
  scheduleHealthCheck(current)

  return {
    get healthy() {
      return healthy
    },
    close() {
      closing ??= (async () => {
        closed = true
        healthy = false
        clearTimeout(healthTimer)
        const error = new Error('listener closed')
        for (const abort of [...aborts]) abort(error)
        await reconnecting
        const live = current
        current = undefined
        if (live) await dispose(live)
      })()
      return closing
    },
  }
}

/** Runs a user callback; a throw surfaces as an uncaught error, away from the driver's parser. */
function report(fn: () => void): void {
  try {
    fn()
  } catch (e) {
    queueMicrotask(() => {
      throw e
    })
  }
}

function unref(timer: ReturnType<typeof setTimeout>): void {
  // Node timers only; elsewhere (workerd) a timer is a number.
  ;(timer as { unref?: () => void }).unref?.()
}

function positive(n: number, name: string): number {
  if (!(Number.isFinite(n) && n > 0)) throw new ConfigurationError(`${name} must be a positive number of milliseconds`)
  return n
}

function toError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e))
}
