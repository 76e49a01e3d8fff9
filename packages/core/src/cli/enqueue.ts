import { DuplicateJobError, InvalidJobError } from '../errors.js'
import type { Json } from '../types.js'
import type { EnqueueOptions } from '../validation/job-input.js'
import { choice, durationFlag, integerFlag, timeFlag } from './arguments.js'
import { type CliIo, type ConnectionFlags, line, UsageError } from './context.js'
import { printJson } from './format.js'
import { withProducer } from './session.js'

export type EnqueueFlags = ConnectionFlags & {
  priority?: string
  delay?: string
  runAt?: string
  dedupeKey?: string
  onConflict?: string
  dedupeMode?: string
  dedupeMaxDelay?: string
  dedupeWindow?: string
  header?: string[]
  json?: boolean
}

/** The library's field names as this command's flags, for its refusals. */
const FLAG_OF: Record<string, string> = {
  priority: '--priority',
  runAt: '--run-at',
  delay: '--delay',
  dedupeKey: '--dedupe-key',
  'dedupe.key': '--dedupe-key',
  'dedupe.delay': '--delay',
  'dedupe.maxDelay': '--dedupe-max-delay',
  'dedupe.window': '--dedupe-window',
  entrypoint: 'the entrypoint',
}

/**
 * Enqueues one job and prints its id. With --on-conflict skip a held dedupe key prints that
 * the job was skipped (exit 0); by default it is a failure (exit 1).
 */
export async function enqueue(flags: EnqueueFlags, io: CliIo, args: string[]): Promise<number> {
  const [entrypoint, payloadText, ...extra] = args
  if (entrypoint === undefined) throw new UsageError('pass the entrypoint to enqueue to (pgq enqueue <entrypoint> [payload])')
  if (extra.length > 0) throw new UsageError(`pass the payload as one argument (quote the JSON), got ${args.length - 1} arguments after the entrypoint`)
  const options = enqueueOptions(flags)
  const onConflict = choice(flags.onConflict ?? 'raise', '--on-conflict', ['raise', 'skip'])
  const payload = await readPayload(payloadText, io)
  return withProducer(flags, io, async ({ producer }) => {
    let id: number | null
    try {
      id = await producer.enqueue(entrypoint, payload, { ...options, onConflict: onConflict === 'skip' ? 'skip' : 'error' })
    } catch (error) {
      if (error instanceof InvalidJobError) throw new UsageError(flagMessage(error))
      if (!(error instanceof DuplicateJobError)) throw error
      const holder = await producer.jobByDedupeKey(flags.dedupeKey!)
      throw new Error(`dedupe key ${JSON.stringify(flags.dedupeKey)} is held by ${holderText(holder)}: nothing enqueued (pass --on-conflict skip to skip instead)`)
    }
    if (id !== null) {
      if (flags.json) printJson(io, { id, skipped: false })
      else line(io.stdout, String(id))
      return 0
    }
    if (flags.dedupeMode === 'throttle') {
      if (flags.json) printJson(io, { id: null, skipped: true, throttled: true })
      else line(io.stdout, `throttled: dedupe key ${JSON.stringify(flags.dedupeKey)} already started a job in this window`)
      return 0
    }
    const holder = await producer.jobByDedupeKey(flags.dedupeKey!)
    if (flags.json) printJson(io, { id: null, skipped: true, heldBy: holder?.id ?? null })
    else line(io.stdout, `skipped: dedupe key ${JSON.stringify(flags.dedupeKey)} is held by ${holderText(holder)}`)
    return 0
  })
}

const DEDUPE_MODES = ['replace', 'debounce', 'throttle'] as const
type DedupeMode = (typeof DEDUPE_MODES)[number]

function enqueueOptions(flags: EnqueueFlags): EnqueueOptions {
  if (flags.delay !== undefined && flags.runAt !== undefined) throw new UsageError('give --delay or --run-at, not both')
  const options: EnqueueOptions = {}
  if (flags.priority !== undefined) options.priority = integerFlag(flags.priority, '--priority', -32768, 32767)
  if (flags.delay !== undefined) options.delay = durationFlag(flags.delay, '--delay')
  if (flags.runAt !== undefined) options.runAt = timeFlag(flags.runAt, '--run-at')
  if (flags.dedupeKey !== undefined) options.dedupeKey = flags.dedupeKey
  if (flags.header?.length) options.headers = headers(flags.header)
  const mode = flags.dedupeMode === undefined ? undefined : choice(flags.dedupeMode, '--dedupe-mode', DEDUPE_MODES)
  checkModeFlags(flags, mode)
  return mode === undefined ? options : withDedupeMode(mode, flags, options)
}

/** --dedupe-mode: the key goes into `dedupe` with its mode; debounce takes --delay as its own. */
function withDedupeMode(mode: DedupeMode, flags: EnqueueFlags, options: EnqueueOptions): EnqueueOptions {
  const key = options.dedupeKey
  if (key === undefined) throw new UsageError('--dedupe-mode needs --dedupe-key')
  const { dedupeKey: _key, delay, ...rest } = options
  if (mode === 'debounce') {
    if (delay === undefined) throw new UsageError('--dedupe-mode debounce needs --delay (how long after the last enqueue to run)')
    return { ...rest, dedupe: { key, mode, delay, ...(flags.dedupeMaxDelay === undefined ? {} : { maxDelay: durationFlag(flags.dedupeMaxDelay, '--dedupe-max-delay') }) } }
  }
  const withDelay = delay === undefined ? rest : { ...rest, delay }
  if (mode === 'throttle') {
    if (flags.dedupeWindow === undefined) throw new UsageError('--dedupe-mode throttle needs --dedupe-window')
    return { ...withDelay, dedupe: { key, mode, window: durationFlag(flags.dedupeWindow, '--dedupe-window') } }
  }
  return { ...withDelay, dedupe: { key, mode } }
}

/** A mode's own flags, refused (not ignored) without that mode: the job would not be what was asked. */
function checkModeFlags(flags: EnqueueFlags, given: DedupeMode | undefined): void {
  const needs = [
    ['--dedupe-max-delay', flags.dedupeMaxDelay, 'debounce'],
    ['--dedupe-window', flags.dedupeWindow, 'throttle'],
  ] as const
  for (const [flag, value, mode] of needs) {
    if (value !== undefined && given !== mode) throw new UsageError(`${flag} needs --dedupe-mode ${mode} (and --dedupe-key)`)
  }
}

/** key=value pairs; a value is JSON when it parses as JSON, else the text itself. */
function headers(pairs: readonly string[]): Record<string, Json> {
  const result: Record<string, Json> = {}
  for (const pair of pairs) {
    const at = pair.indexOf('=')
    const key = at < 0 ? '' : pair.slice(0, at)
    if (at <= 0) throw new UsageError(`--header must be key=value, got one without ${at < 0 ? '=' : 'a key'}`)
    if (Object.hasOwn(result, key)) throw new UsageError(`--header ${JSON.stringify(key)} is given twice`)
    const text = pair.slice(at + 1)
    try {
      result[key] = JSON.parse(text) as Json
    } catch {
      result[key] = text
    }
  }
  return result
}

/** JSON text, `-` for standard input, or nothing (a null payload). Never quoted back: it is data. */
async function readPayload(text: string | undefined, io: CliIo): Promise<unknown> {
  if (text === undefined) return null
  let source = text
  if (text === '-') {
    if (!io.stdin) throw new UsageError('payload "-" reads standard input, and there is none here')
    source = await io.stdin()
  }
  try {
    return JSON.parse(source)
  } catch {
    const where = text === '-' ? 'the payload read from standard input' : 'the payload'
    throw new UsageError(`${where} is not valid JSON (quote it for the shell, e.g. '{"to":"a@b.c"}'; a string is '"text"')`)
  }
}

/** The library's message with its field named as this command's flag. */
function flagMessage(error: InvalidJobError): string {
  const field = error.field ?? ''
  if (field.startsWith('headers')) return `--header: ${error.message}`
  const flag = FLAG_OF[field]
  if (!flag) return error.message
  return error.message.startsWith(field) ? `${flag}${error.message.slice(field.length)}` : `${flag}: ${error.message}`
}

const holderText = (job: { id: number; status: string } | null) => (job ? `job ${job.id} (${job.status})` : 'another job')
