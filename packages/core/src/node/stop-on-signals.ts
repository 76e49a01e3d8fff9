/**
 * SIGTERM/SIGINT stop the worker gracefully; a second signal forces it (running jobs are
 * aborted and left for stale rescue). Returns a function that removes the handlers.
 */
export function stopOnSignals(
  worker: { stop(options: { force: boolean }): Promise<unknown> },
  signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'],
): () => void {
  let received = 0
  const handler = () => {
    received++
    void worker.stop({ force: received > 1 }).catch(() => undefined)
  }
  for (const s of signals) process.on(s, handler)
  return () => {
    for (const s of signals) process.off(s, handler)
  }
}
