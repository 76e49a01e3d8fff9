import { stopOnSignals } from '../node/stop-on-signals.js'
import type { Queue } from '../runtime/queue.js'
import type { DrainOptions, RunSummary, StartOptions } from '../runtime/worker.js'
import { asUsage, choice, durationFlag, integerFlag, single } from './arguments.js'
import { type CliIo, describeError, line, UsageError } from './context.js'
import { printJson } from './format.js'
import { explain } from './session.js'
import { loadQueue } from './worker-module.js'

export type RunFlags = {
  databaseUrl?: string
  schema?: string
  mode?: string
  batchSize?: string
  maxConcurrentTasks?: string
  pollInterval?: string
  heartbeatInterval?: string
  timeBudget?: string
  shutdownTimeout?: string
  entrypoint?: string[]
  asyncCommit?: string
  json?: boolean
}

/** The runtime's option names as this command's flags, for its refusals. */
const FLAGS: [string, string][] = [
  ['maxConcurrentTasks', '--max-concurrent-tasks'],
  ['batchSize', '--batch-size'],
  ['pollInterval', '--poll-interval'],
  ['heartbeatInterval', '--heartbeat-interval'],
  ['timeBudget', '--time-budget'],
  ['shutdownTimeout', '--shutdown-timeout'],
]
const asFlags = (message: string) => FLAGS.reduce((m, [option, flag]) => m.replaceAll(option, flag), message)

/**
 * Runs a worker on the queue a module exports. continuous: queue.start() until SIGTERM or
 * SIGINT, then a graceful stop (a second signal forces it). drain: queue.drain() once. Prints
 * the run's summary; exit 0 once the worker has stopped with every result written.
 */
export async function runWorker(flags: RunFlags, io: CliIo, args: string[]): Promise<number> {
  const modulePath = single(args, 'module path')
  const mode = choice(flags.mode ?? 'continuous', '--mode', ['continuous', 'drain'])
  if (mode === 'drain' && flags.shutdownTimeout !== undefined) throw new UsageError('--shutdown-timeout is for --mode continuous (a drain ends within its --time-budget)')
  if (mode === 'continuous' && flags.timeBudget !== undefined) throw new UsageError('--time-budget is for --mode drain')
  const options = workerOptions(flags)
  const queue = await loadQueue(modulePath, flags, io)
  const unsubscribe = report(queue, io)
  try {
    const summary = await (mode === 'drain' ? drainOnce(queue, options, io) : runUntilSignal(queue, options, io)).catch((error: unknown) => {
      throw explain(error)
    })
    if (flags.json) printJson(io, summary)
    else line(io.stdout, summaryText(mode, summary))
    if (summary.unwritten === 0) return 0
    line(io.stderr, `pgq run: ${summary.unwritten} results could not be written before the end; those jobs stay picked and are rerun or held after their lease`)
    return 1
  } finally {
    unsubscribe()
    await queue.close().catch(() => undefined)
    // The module's driver ends with the run: nothing else will use it, and its pool would keep the process alive.
    await (queue as unknown as { driver?: { end?: () => Promise<void> } }).driver?.end?.().catch(() => undefined)
  }
}

function workerOptions(flags: RunFlags): DrainOptions & StartOptions {
  const o: DrainOptions & StartOptions = {}
  if (flags.batchSize !== undefined) o.batchSize = integerFlag(flags.batchSize, '--batch-size', 1)
  if (flags.maxConcurrentTasks !== undefined) o.maxConcurrentTasks = integerFlag(flags.maxConcurrentTasks, '--max-concurrent-tasks', 1)
  if (flags.pollInterval !== undefined) o.pollInterval = durationFlag(flags.pollInterval, '--poll-interval')
  if (flags.heartbeatInterval !== undefined) o.heartbeatInterval = durationFlag(flags.heartbeatInterval, '--heartbeat-interval')
  if (flags.timeBudget !== undefined) o.timeBudget = durationFlag(flags.timeBudget, '--time-budget')
  if (flags.shutdownTimeout !== undefined) o.shutdownTimeout = durationFlag(flags.shutdownTimeout, '--shutdown-timeout')
  if (flags.entrypoint?.length) o.entrypoints = flags.entrypoint
  if (flags.asyncCommit !== undefined) o.asyncCommit = choice(flags.asyncCommit, '--async-commit', ['on', 'off']) === 'on'
  return o
}

async function runUntilSignal(queue: Queue, options: StartOptions, io: CliIo): Promise<RunSummary> {
  // start() checks its options at once; a bad one is the invocation's fault.
  const worker = await asUsage(() => queue.start(options), asFlags)
  const removeHandlers = stopOnSignals(worker)
  line(io.stderr, `pgq run: worker ${worker.workerId} started, serving ${served(queue, options)} (SIGTERM or Ctrl-C stops it gracefully, a second one at once)`)
  try {
    return await worker.done
  } finally {
    removeHandlers()
  }
}

async function drainOnce(queue: Queue, options: DrainOptions, io: CliIo): Promise<RunSummary> {
  // A signal ends the drain early, as gracefully as the end of its budget; a second one at once:
  // the process exits, and what still runs is left to stale rescue, as a forced worker leaves it.
  const abort = new AbortController()
  const removeHandlers = stopOnSignals({
    stop: async ({ force }) => {
      if (force) {
        line(io.stderr, 'pgq run: a second signal: exiting now; jobs still running are left for another worker to rescue')
        process.exit(1)
      }
      line(io.stderr, 'pgq run: stopping: no more claims; running jobs finish and their results are written (a second signal exits at once)')
      abort.abort()
    },
  })
  try {
    return await asUsage(() => queue.drain({ ...options, signal: abort.signal }), asFlags)
  } finally {
    removeHandlers()
  }
}

const served = (queue: Queue, options: { entrypoints?: string[] }) => (options.entrypoints ?? queue.entrypoints()).join(', ') || 'its schedules'

/** Failures and background errors on stderr as they happen: names and messages, never payloads. */
function report(queue: Queue, io: CliIo): () => void {
  const off = [
    queue.on('job:failed', ({ job, traceback, action }) => line(io.stderr, `pgq run: job ${job.id} (${job.entrypoint}) failed for good, ${action === 'hold' ? 'held' : 'dropped'}: ${traceback.name}: ${traceback.message.split('\n')[0]}`)),
    queue.on('job:retried', ({ job, traceback, delayMs }) => line(io.stderr, `pgq run: job ${job.id} (${job.entrypoint}) failed, retried in ${delayMs} ms: ${traceback.name}: ${traceback.message.split('\n')[0]}`)),
    queue.on('worker:error', ({ error, during }) => line(io.stderr, `pgq run: error during ${during} (the worker carries on): ${describeError(error)}`)),
  ]
  return () => {
    for (const f of off) f()
  }
}

const STOP_REASONS: Record<RunSummary['stoppedBy'], string> = {
  empty: 'nothing left to claim',
  budget: 'time budget spent',
  signal: 'stopped by a signal',
  forced: 'forced: running jobs left to rescue',
}

function summaryText(mode: string, s: RunSummary & { remaining?: number }): string {
  const unwritten = s.unwritten > 0 ? `, ${s.unwritten} unwritten` : ''
  const counts = `${s.claimed} claimed, ${s.succeeded} succeeded, ${s.failed} failed, ${s.retried} retried, ${s.lost} lost, ${s.canceled} canceled${unwritten}`
  const left = s.remaining === undefined ? '' : s.remaining < 0 ? '' : `, ${s.remaining} left`
  return `pgq run: ${mode === 'drain' ? 'drained' : 'stopped'}: ${counts} in ${Math.round(s.durationMs)} ms (${STOP_REASONS[s.stoppedBy]}${left})`
}
