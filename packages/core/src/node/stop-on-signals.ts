/**
 * SIGTERM/SIGINT stop the worker gracefully; a second signal forces it (running jobs are
 * aborted and left for stale rescue). With `exitAfterMs`, the process exits that long after
 * a stop a signal began has settled, if it is still up: a handler that ignores its abort
 * signal (a timer, a socket) would otherwise keep it alive past the supervisor's patience.
 * Returns a function that removes the handlers.
 */
export function stopOnSignals(
  worker: { stop(options: { force: boolean }): Promise<unknown> },
  signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'],
  options: { exitAfterMs?: number } = {},
): () => void {
  let received = 0
  const handler = () => {
    received++
    const stopped = worker.stop({ force: received > 1 }).catch(() => undefined)
    const { exitAfterMs } = options
    if (exitAfterMs !== undefined) void stopped.then(() => setTimeout(() => process.exit(), exitAfterMs).unref())
  }
  for (const s of signals) process.on(s, handler)
  return () => {
    for (const s of signals) process.off(s, handler)
  }
}
