import type { DependencyResult, Job, JobId, Json } from '../types.js'
import type { JobContext } from './entrypoints.js'
import { progressText } from './job-output.js'

/** What a running job's context reads and writes in its runner. */
export interface RunState {
  readonly job: Job
  /** Made when the handler first reads ctx.signal: an AbortController costs ~2 µs, most jobs never look. */
  controller: AbortController | undefined
  /** Why the job was aborted, kept for a signal read after the abort. */
  abortReason: Error | undefined
  /** Its result must not be written: canceled, held by another worker now, or abandoned at a forced stop. */
  dropped: boolean
  /** Its outcome is known (the handler settled, or its timeout passed): a later one is ignored. */
  settled: boolean
  /** The JSON text of its last ctx.progress(): the same value again is not written again. */
  progress: string | undefined
}

export interface RunContextDeps {
  workerId: string
  /** Keeps a running job's latest progress for the heartbeat to write. */
  reportProgress(id: JobId, text: string): void
  dependencyResults(id: JobId): Promise<DependencyResult[]>
}

/**
 * The `ctx` a handler gets: one small object per run. Its functions are made when a handler
 * reads them (destructuring included), not for each of the many jobs that never do.
 */
export class RunContext implements JobContext {
  readonly #run: RunState
  readonly #deps: RunContextDeps

  constructor(run: RunState, deps: RunContextDeps) {
    this.#run = run
    this.#deps = deps
  }

  get signal(): AbortSignal {
    const run = this.#run
    run.controller ??= new AbortController()
    if (run.abortReason && !run.controller.signal.aborted) run.controller.abort(run.abortReason)
    return run.controller.signal
  }

  get workerId(): string {
    return this.#deps.workerId
  }

  get progress(): (value: Json) => void {
    const run = this.#run
    const deps = this.#deps
    return (value) => {
      const text = progressText(value) // throws to the handler, naming the field
      if (run.settled || run.dropped || text === run.progress) return
      run.progress = text
      deps.reportProgress(run.job.id, text)
    }
  }

  get dependencies(): () => Promise<DependencyResult[]> {
    const run = this.#run
    const deps = this.#deps
    return () => deps.dependencyResults(run.job.id)
  }
}
