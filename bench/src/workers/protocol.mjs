// The parent <-> worker protocol over the IPC channel, shared by the workers (all plain
// node). Worker: 'ready' once connected and warmed up; parent: 'go' (drain) or 'stop'
// (listen); worker: 'done' with its counts and peak RSS.

/** Wall clock with sub-millisecond resolution, comparable across processes on one machine. */
export const now = () => performance.timeOrigin + performance.now()

export const config = () => JSON.parse(process.env.BENCH_WORKER_CONFIG ?? '{}')

export const send = (message) => new Promise((resolve) => process.send(message, undefined, undefined, () => resolve()))

/** Resolves with the next message of this type from the parent. */
export const receive = (type) =>
  new Promise((resolve) => {
    const on = (m) => {
      if (m?.type === type) {
        process.off('message', on)
        resolve(m)
      }
    }
    process.on('message', on)
  })

/** CPU time (user + system, µs) this process used since `since` (a process.cpuUsage() value). */
export const cpuUs = (since) => {
  const d = process.cpuUsage(since)
  return d.user + d.system
}

/** Peak resident set size of this process so far, in KiB. */
export const peakRssKb = () => process.resourceUsage().maxRSS

export async function main(fn) {
  try {
    await fn()
    process.disconnect?.()
  } catch (error) {
    await send({ type: 'error', message: String(error?.stack ?? error) }).catch(() => undefined)
    process.exitCode = 1
    process.disconnect?.()
  }
}
