import type { Traceback } from '@pgq/core/edge'

/** A traceback: name and message, then its stack behind a disclosure. */
export function TracebackView({ traceback, open = false }: { traceback: Traceback; open?: boolean }) {
  return (
    <div class="traceback">
      <strong>{traceback.name}</strong>: {traceback.message}{' '}
      <span class="muted">
        (attempt {traceback.attempt}, worker {traceback.workerId})
      </span>
      {traceback.stack && (
        <details open={open}>
          <summary>Stack</summary>
          <pre>{traceback.stack}</pre>
        </details>
      )}
    </div>
  )
}
