// The daily-operations commands (enqueue, inspect, control, run workers), listed in commands.ts.
import type { CommandSpec, OptionSpec } from './commands.js'

const json: OptionSpec = { type: 'boolean', description: 'print the result as JSON, for scripts' }

/** The commands, given the connection flags every command shares. */
export function operationsCommands(connection: Record<string, OptionSpec>): CommandSpec[] {
  const withJson = { ...connection, json }
  return [
    {
      name: 'enqueue',
      aliases: ['queue'],
      args: '<entrypoint> [payload]',
      summary: 'enqueue one job and print its id; payload is JSON text, - reads it from stdin, none is null',
      options: {
        ...withJson,
        priority: { type: 'string', placeholder: 'n', description: 'higher runs first, -32768..32767 (a negative one as --priority=-5) (default: 0)' },
        delay: { type: 'string', placeholder: 'duration', description: "not before this long from now ('30s', '5m', or ms)" },
        runAt: { type: 'string', placeholder: 'ISO time', description: 'not before this time, e.g. 2030-01-31T09:00:00Z (not with --delay)' },
        dedupeKey: { type: 'string', placeholder: 'key', description: 'refuse the job while another with this key is queued or running' },
        onConflict: { type: 'string', placeholder: 'raise|skip', default: 'raise', description: 'a held dedupe key: fail (exit 1), or skip the job (exit 0)' },
        dedupeMode: {
          type: 'string',
          placeholder: 'replace|debounce|throttle',
          description: "with --dedupe-key: replace the queued job's payload and run time; debounce (run --delay after the last enqueue); throttle (one job per --dedupe-window)",
        },
        dedupeMaxDelay: { type: 'string', placeholder: 'duration', description: 'debounce: run no later than this long after the first enqueue' },
        dedupeWindow: { type: 'string', placeholder: 'duration', description: 'throttle: one job per key per this long' },
        header: { type: 'string', placeholder: 'key=value', multiple: true, description: 'a header (repeatable); the value is JSON if it parses, else text' },
      },
      run: async (flags, io, args) => (await import('./enqueue.js')).enqueue(flags, io, args),
    },
    {
      name: 'status',
      args: '<id...>',
      summary: "each job's status, attempts and whether it is in the queue; exit 1 if one is unknown",
      options: withJson,
      run: async (flags, io, args) => (await import('./status.js')).status(flags, io, args),
    },
    {
      name: 'history',
      args: '<id>',
      summary: "a job's log entries, oldest first, with each failure's error and first stack frames",
      options: withJson,
      run: async (flags, io, args) => (await import('./history.js')).history(flags, io, args),
    },
    {
      name: 'failed',
      summary: 'jobs that failed for good (held: requeue-able; dropped), newest first, with their last error',
      options: {
        ...withJson,
        entrypoint: { type: 'string', placeholder: 'name', multiple: true, description: 'only this entrypoint (repeatable)' },
        olderThan: { type: 'string', placeholder: 'duration', description: 'failed at least this long ago' },
        newerThan: { type: 'string', placeholder: 'duration', description: 'failed within this long' },
        heldOnly: { type: 'boolean', description: 'only held jobs (the ones pgq requeue puts back)' },
        limit: { type: 'string', placeholder: 'n', description: 'at most this many, 1..1000 (default 100; with --group, 1000)' },
        group: { type: 'boolean', description: 'one row per fingerprint (error name and top stack frame): one bug, one row' },
      },
      run: async (flags, io) => (await import('./failed.js')).failed(flags, io),
    },
    {
      name: 'requeue',
      args: '[id...]',
      summary: 'put held jobs back in the queue, attempts reset: by id, --entrypoint or --all; exit 1 if an id was not held',
      options: {
        ...withJson,
        entrypoint: { type: 'string', placeholder: 'name', multiple: true, description: "every held job of this entrypoint (repeatable)" },
        all: { type: 'boolean', description: 'every held job' },
      },
      run: async (flags, io, args) => (await import('./requeue.js')).requeue(flags, io, args),
    },
    {
      name: 'cancel',
      args: '<id...>',
      summary: 'remove jobs from the queue (running ones are aborted); exit 1 if one was not in the queue',
      options: withJson,
      run: async (flags, io, args) => (await import('./cancel.js')).cancel(flags, io, args),
    },
    {
      name: 'pause',
      args: '<entrypoint>',
      summary: "stop every worker claiming the entrypoint's jobs (running ones finish; enqueue still works)",
      options: withJson,
      run: async (flags, io, args) => (await import('./pause.js')).setPaused(true, flags, io, args),
    },
    {
      name: 'resume',
      args: '<entrypoint>',
      summary: 'let workers claim a paused entrypoint again',
      options: withJson,
      run: async (flags, io, args) => (await import('./pause.js')).setPaused(false, flags, io, args),
    },
    {
      name: 'schedules',
      summary: 'the stored cron schedules: expression, timezone, next and last run, overdue; or --remove one',
      options: {
        ...withJson,
        remove: { type: 'string', placeholder: 'entrypoint', description: "delete this entrypoint's stored schedules (a deployment still declaring one stores it again)" },
        expression: { type: 'string', placeholder: 'cron', description: 'with --remove: only the schedule with this expression' },
      },
      run: async (flags, io) => (await import('./schedules.js')).schedules(flags, io),
    },
    {
      name: 'stats',
      summary: "jobs by state per entrypoint now, and finished work per entrypoint and status: count, run and wait p50/p95 ('retried': failed attempts run again)",
      options: {
        ...withJson,
        since: { type: 'string', placeholder: 'duration', default: '1h', description: 'finished work over this long (whole minutes)' },
        entrypoint: { type: 'string', placeholder: 'name', multiple: true, description: 'only this entrypoint (repeatable)' },
      },
      run: async (flags, io) => (await import('./stats.js')).stats(flags, io),
    },
    {
      name: 'listen',
      summary: "print the queue's events live (insert, done, cancel, progress), one line each, until SIGINT or SIGTERM",
      options: { ...connection, json: { type: 'boolean', description: 'one JSON object per line' } },
      run: async (flags, io) => (await import('./listen.js')).listen(flags, io),
    },
    {
      name: 'run',
      args: '<module>',
      summary: 'run a worker on the queue a module exports (default or `queue` export, or a function returning one)',
      options: {
        databaseUrl: { type: 'string', placeholder: 'url', description: 'passed to a module exporting a function, as { databaseUrl, schema } (default: $DATABASE_URL)' },
        schema: { type: 'string', placeholder: 'name', description: 'passed the same way (default: $PGQ_SCHEMA)' },
        mode: { type: 'string', placeholder: 'continuous|drain', default: 'continuous', description: 'continuous: until SIGTERM/SIGINT, then a graceful stop; drain: run what is due once, within --time-budget' },
        batchSize: { type: 'string', placeholder: 'n', description: 'most jobs claimed per statement (default: 10)' },
        maxConcurrentTasks: { type: 'string', placeholder: 'n', description: 'most jobs running at once, at least 2 × batch size (default: 2 × batch size)' },
        pollInterval: { type: 'string', placeholder: 'duration', description: 'look for jobs this often without a notification (default: 1s)' },
        heartbeatInterval: { type: 'string', placeholder: 'duration', description: "renew running jobs' leases this often (default: a third of the shortest lease)" },
        timeBudget: { type: 'string', placeholder: 'duration', description: 'drain: start no job that would not finish within this (default: 25s)' },
        shutdownTimeout: { type: 'string', placeholder: 'duration', description: 'continuous: on a signal, wait this long for running jobs (default: 30s)' },
        entrypoint: { type: 'string', placeholder: 'name', multiple: true, description: 'serve only this registered entrypoint (repeatable; default: all)' },
        asyncCommit: { type: 'string', placeholder: 'on|off', description: "off: every claim and result waits for the WAL flush, so a database crash forgets no recorded result (default: on)" },
        json: { type: 'boolean', description: "print the run's summary as JSON" },
      },
      run: async (flags, io, args) => (await import('./run-worker.js')).runWorker(flags, io, args),
    },
  ]
}
