// Every input enqueue refuses, against a real Postgres: the refusal is an InvalidJobError naming
// the field and the job, nothing is written, and neither message nor stack shows the data (a
// marker sits next to each bad value). Each case also shows what Postgres or JSON would have
// done without the check. Validation runs before any driver code, so one driver is enough here.
import type pg from 'pg'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ConfigurationError, InvalidJobError } from '../src/errors.js'
import { createQueue } from '../src/runtime/queue.js'
import { MAX_BATCH_JSON_LENGTH, MAX_JSON_DEPTH, MAX_JSON_LENGTH, type NewJob } from '../src/validation/job-input.js'
import { useQueueDatabase } from './support/queue-database.js'

const SECRET = 'SECRET-c0ffee'
const good = { entrypoint: 'fine', payload: { ok: true } }

/** What happens without the check: Postgres refuses (and maybe quotes the data), or changes it. */
type Witness = (sql: (text: string, params?: unknown[]) => Promise<Record<string, unknown>[]>) => Promise<void>

interface Case {
  name: string
  /** The bad job (entrypoint 'fine' unless given). */
  job: () => Record<string, unknown>
  field: string
  witness?: Witness
}

/** Postgres raises; `leaks`: its error text (message, detail, context) shows the marker. */
const pgRejects =
  (text: string, params: unknown[], error: RegExp, leaks = false): Witness =>
  async (sql) => {
    const e = (await sql(text, params).then(
      () => null,
      (e: unknown) => e,
    )) as (pg.DatabaseError & Error) | null
    expect(e, 'Postgres should refuse this').not.toBeNull()
    expect(e!.message).toMatch(error)
    if (leaks) expect(`${e!.message} ${e!.detail} ${e!.where}`).toContain(SECRET)
  }
/** Postgres accepts and hands back something else. */
const pgReturns =
  (text: string, params: unknown[], check: (row: Record<string, unknown>) => void): Witness =>
  async (sql) => {
    const [row] = await sql(text, params)
    check(row!)
  }
/** Postgres refuses it (before 17), or takes it as an infinite time, a job that never runs (17 and later). */
const pgRejectsOrNever =
  (text: string, params: unknown[]): Witness =>
  async (sql) => {
    const outcome = await sql(`select (${text})::text as at`, params).then(
      ([row]) => row!.at,
      (e: Error) => e,
    )
    if (outcome instanceof Error) expect(outcome.message).toMatch(/out of range/)
    else expect(outcome).toBe('infinity')
  }
/** JSON.stringify changes the value (or throws); Postgres never sees the original. */
const jsonChanges =
  (value: unknown, check: (json: string | undefined) => void): Witness =>
  async () =>
    check(JSON.stringify(value))

const nested = (depth: number) => {
  let v: unknown = SECRET
  for (let i = 0; i < depth; i++) v = [v]
  return v
}
const deepPath = (depth: number) => `payload${'[0]'.repeat(depth)}`
class Point {
  constructor(
    readonly x: number,
    readonly secret = SECRET,
  ) {}
}
const cyclic = () => {
  const o: Record<string, unknown> = { secret: SECRET }
  o.self = o
  return o
}
const MIN_TIMESTAMP = Date.UTC(-4713, 10, 24) // 4714-11-24 00:00:00 BC
/** [first, <hole>, last] */
const holey = (first: unknown, last: unknown) => {
  const a: unknown[] = new Array(3)
  a[0] = first
  a[2] = last
  return a
}

const cases: Case[] = [
  // Strings Postgres cannot store, anywhere.
  {
    name: 'U+0000 in the entrypoint',
    job: () => ({ entrypoint: `send\0${SECRET}` }),
    field: 'entrypoint',
    witness: pgRejects('select $1::text', [`send\0${SECRET}`], /invalid byte sequence for encoding "UTF8": 0x00/),
  },
  {
    name: 'a lone surrogate in the entrypoint',
    job: () => ({ entrypoint: `send${SECRET}\ud800` }),
    field: 'entrypoint',
    witness: pgReturns('select $1::text as v', [`send${SECRET}\ud800`], (r) => expect(r.v).toBe(`send${SECRET}\ufffd`)),
  },
  {
    name: 'U+0000 in the dedupe key',
    job: () => ({ dedupeKey: `${SECRET}\0` }),
    field: 'dedupeKey',
    witness: pgRejects('select $1::text', [`${SECRET}\0`], /0x00/),
  },
  {
    name: 'a lone low surrogate in the dedupe key',
    job: () => ({ dedupeKey: `\udc00${SECRET}` }),
    field: 'dedupeKey',
    witness: pgReturns('select $1::text as v', [`\udc00${SECRET}`], (r) => expect(r.v).toBe(`\ufffd${SECRET}`)),
  },
  {
    name: 'U+0000 in a payload string, deep down',
    job: () => ({ payload: { items: [{}, {}, {}, { name: `${SECRET}\0` }] } }),
    field: 'payload.items[3].name',
    witness: pgRejects('select $1::jsonb', [JSON.stringify({ items: [{}, {}, {}, { name: `${SECRET}\0` }] })], /unsupported Unicode escape sequence/, true),
  },
  {
    name: 'U+0000 in a payload object key',
    job: () => ({ payload: { meta: { [`${SECRET}\0`]: 1 } } }),
    field: 'payload.meta',
    witness: pgRejects('select $1::jsonb', [JSON.stringify({ meta: { [`${SECRET}\0`]: 1 } })], /unsupported Unicode escape sequence/, true),
  },
  {
    name: 'U+0000 as the whole payload',
    job: () => ({ payload: `${SECRET}\0` }),
    field: 'payload',
    witness: pgRejects('select $1::jsonb', [JSON.stringify(`${SECRET}\0`)], /unsupported Unicode escape sequence/, true),
  },
  {
    name: 'a lone high surrogate in a payload string',
    job: () => ({ payload: { note: `${SECRET}\ud83d` } }),
    field: 'payload.note',
    witness: pgRejects('select $1::jsonb', [JSON.stringify({ note: `${SECRET}\ud83d` })], /invalid input syntax for type json/, true),
  },
  {
    name: 'a lone low surrogate in a payload key',
    job: () => ({ payload: { [`${SECRET}\ude00`]: 1 } }),
    field: 'payload',
    witness: pgRejects('select $1::jsonb', [JSON.stringify({ [`${SECRET}\ude00`]: 1 })], /invalid input syntax for type json/, true),
  },
  {
    name: 'U+0000 after an escaped backslash',
    job: () => ({ payload: [`${SECRET}\\\0`] }),
    field: 'payload[0]',
    witness: pgRejects('select $1::jsonb', [JSON.stringify([`${SECRET}\\\0`])], /unsupported Unicode escape sequence/, true),
  },
  {
    name: 'U+0000 in a header value',
    job: () => ({ headers: { trace: `${SECRET}\0` } }),
    field: 'headers.trace',
    witness: pgRejects('select $1::jsonb', [JSON.stringify({ trace: `${SECRET}\0` })], /unsupported Unicode escape sequence/, true),
  },
  {
    name: 'U+0000 in a header name',
    job: () => ({ headers: { [`x-${SECRET}\0`]: 'v' } }),
    field: 'headers',
    witness: pgRejects('select $1::jsonb', [JSON.stringify({ [`x-${SECRET}\0`]: 'v' })], /unsupported Unicode escape sequence/, true),
  },
  {
    name: 'a lone surrogate in a nested header value',
    job: () => ({ headers: { trace: { parent: `${SECRET}\udbff` } } }),
    field: 'headers.trace.parent',
    witness: pgRejects('select $1::jsonb', [JSON.stringify({ trace: { parent: `${SECRET}\udbff` } })], /invalid input syntax for type json/, true),
  },

  // Entrypoint and dedupe key bounds.
  { name: 'an empty entrypoint', job: () => ({ entrypoint: '' }), field: 'entrypoint' },
  { name: 'an entrypoint of 129 characters', job: () => ({ entrypoint: 'x'.repeat(129) }), field: 'entrypoint' },
  { name: 'an entrypoint that is not a string', job: () => ({ entrypoint: 42 }), field: 'entrypoint' },
  { name: 'a missing entrypoint', job: () => ({ entrypoint: undefined }), field: 'entrypoint' },
  { name: 'an empty dedupe key', job: () => ({ dedupeKey: '' }), field: 'dedupeKey' },
  { name: 'a dedupe key of 513 characters', job: () => ({ dedupeKey: 'k'.repeat(513) }), field: 'dedupeKey' },
  { name: 'a dedupe key that is not a string', job: () => ({ dedupeKey: 7 }), field: 'dedupeKey' },

  // Values JSON would change or refuse.
  { name: 'NaN in the payload', job: () => ({ payload: { secret: SECRET, n: Number.NaN } }), field: 'payload.n', witness: jsonChanges({ n: Number.NaN }, (j) => expect(j).toBe('{"n":null}')) },
  { name: 'Infinity in the payload', job: () => ({ payload: [SECRET, Number.POSITIVE_INFINITY] }), field: 'payload[1]', witness: jsonChanges([Number.POSITIVE_INFINITY], (j) => expect(j).toBe('[null]')) },
  { name: '-Infinity as the payload', job: () => ({ payload: Number.NEGATIVE_INFINITY }), field: 'payload', witness: jsonChanges(Number.NEGATIVE_INFINITY, (j) => expect(j).toBe('null')) },
  { name: 'undefined in a payload object', job: () => ({ payload: { secret: SECRET, gone: undefined } }), field: 'payload.gone', witness: jsonChanges({ gone: undefined }, (j) => expect(j).toBe('{}')) },
  { name: 'undefined in a payload array', job: () => ({ payload: [SECRET, undefined] }), field: 'payload[1]', witness: jsonChanges([undefined], (j) => expect(j).toBe('[null]')) },
  { name: 'a hole in a payload array', job: () => ({ payload: holey(SECRET, 2) }), field: 'payload[1]', witness: jsonChanges(holey(1, 2), (j) => expect(j).toBe('[1,null,2]')) },
  { name: 'a function as the payload', job: () => ({ payload: () => SECRET }), field: 'payload', witness: jsonChanges(() => 1, (j) => expect(j).toBeUndefined()) },
  { name: 'a function in the payload', job: () => ({ payload: { secret: SECRET, f: () => 1 } }), field: 'payload.f', witness: jsonChanges({ f: () => 1 }, (j) => expect(j).toBe('{}')) },
  { name: 'a symbol in the payload', job: () => ({ payload: { s: Symbol(SECRET) } }), field: 'payload.s', witness: jsonChanges({ s: Symbol() }, (j) => expect(j).toBe('{}')) },
  { name: 'a symbol key in the payload', job: () => ({ payload: { secret: SECRET, [Symbol('k')]: 1 } }), field: 'payload', witness: jsonChanges({ [Symbol('k')]: 1 }, (j) => expect(j).toBe('{}')) },
  { name: 'a bigint in the payload', job: () => ({ payload: { secret: SECRET, n: 10n } }), field: 'payload.n', witness: async () => expect(() => JSON.stringify({ n: 10n })).toThrow(TypeError) },
  { name: 'a Date in the payload', job: () => ({ payload: { secret: SECRET, at: new Date(0) } }), field: 'payload.at', witness: jsonChanges({ at: new Date(0) }, (j) => expect(j).toBe('{"at":"1970-01-01T00:00:00.000Z"}')) },
  { name: 'a Map in the payload', job: () => ({ payload: { m: new Map([[SECRET, 1]]) } }), field: 'payload.m', witness: jsonChanges({ m: new Map([['k', 1]]) }, (j) => expect(j).toBe('{"m":{}}')) },
  { name: 'a Set as the payload', job: () => ({ payload: new Set([SECRET]) }), field: 'payload', witness: jsonChanges(new Set([1]), (j) => expect(j).toBe('{}')) },
  { name: 'a typed array in the payload', job: () => ({ payload: { bytes: new Uint8Array([1, 2]) } }), field: 'payload.bytes', witness: jsonChanges(new Uint8Array([1, 2]), (j) => expect(j).toBe('{"0":1,"1":2}')) },
  { name: 'a class instance in the payload', job: () => ({ payload: { p: new Point(1) } }), field: 'payload.p' },
  { name: 'a boxed string as the payload', job: () => ({ payload: new String(SECRET) }), field: 'payload' },
  { name: 'a cycle in the payload', job: () => ({ payload: cyclic() }), field: 'payload.self', witness: async () => expect(() => JSON.stringify(cyclic())).toThrow(/circular/) },
  {
    name: `nesting deeper than ${MAX_JSON_DEPTH}`,
    job: () => ({ payload: nested(MAX_JSON_DEPTH + 1) }),
    field: deepPath(MAX_JSON_DEPTH),
  },
  {
    name: 'nesting 50,000 deep',
    job: () => ({ payload: nested(50_000) }),
    field: deepPath(MAX_JSON_DEPTH),
    witness: pgRejects('select $1::jsonb', [`${'['.repeat(50_000)}${']'.repeat(50_000)}`], /stack depth limit exceeded/),
  },
  { name: `a payload over ${MAX_JSON_LENGTH} characters of JSON`, job: () => ({ payload: SECRET + 'x'.repeat(MAX_JSON_LENGTH) }), field: 'payload' },
  { name: 'a payload just over the limit by its escapes', job: () => ({ payload: '"'.repeat(MAX_JSON_LENGTH / 2) }), field: 'payload' },

  // Headers must be a plain object of JSON values.
  { name: 'headers as an array', job: () => ({ headers: [SECRET] }), field: 'headers', witness: pgReturns('select jsonb_typeof($1::jsonb) as t', [JSON.stringify(['x'])], (r) => expect(r.t).toBe('array')) },
  { name: 'headers as a Map', job: () => ({ headers: new Map([['trace', SECRET]]) }), field: 'headers', witness: jsonChanges(new Map([['trace', 'x']]), (j) => expect(j).toBe('{}')) },
  { name: 'headers as a Date', job: () => ({ headers: new Date(0) }), field: 'headers', witness: jsonChanges(new Date(0), (j) => expect(j).toBe('"1970-01-01T00:00:00.000Z"')) },
  { name: 'headers as a class instance', job: () => ({ headers: new Point(1) }), field: 'headers' },
  { name: 'headers as null', job: () => ({ headers: null }), field: 'headers' },
  { name: 'headers as a string', job: () => ({ headers: SECRET }), field: 'headers' },
  { name: 'headers as a function', job: () => ({ headers: () => SECRET }), field: 'headers' },
  { name: 'a Date header', job: () => ({ headers: { at: new Date(0), secret: SECRET } }), field: 'headers.at' },
  { name: 'a function header', job: () => ({ headers: { f: () => SECRET } }), field: 'headers.f' },
  { name: 'a symbol-keyed header', job: () => ({ headers: { [Symbol('trace')]: SECRET } }), field: 'headers', witness: jsonChanges({ [Symbol('t')]: 'x' }, (j) => expect(j).toBe('{}')) },
  { name: 'a NaN header', job: () => ({ headers: { 'x-count': Number.NaN, secret: SECRET } }), field: 'headers["x-count"]' },
  { name: `headers over ${MAX_JSON_LENGTH} characters of JSON`, job: () => ({ headers: { big: SECRET.repeat(MAX_JSON_LENGTH / SECRET.length + 1) } }), field: 'headers' },

  // Times and delays outside timestamptz and interval.
  { name: 'an Invalid Date for runAt', job: () => ({ runAt: new Date('nope') }), field: 'runAt', witness: async () => expect(() => new Date('nope').toISOString()).toThrow(RangeError) },
  {
    name: 'a runAt before 4714-11-24 BC',
    job: () => ({ runAt: new Date(MIN_TIMESTAMP - 1) }),
    field: 'runAt',
    witness: pgRejects('select $1::timestamptz', ['4714-11-23 23:59:59.999+00 BC'], /timestamp out of range/),
  },
  {
    name: 'the earliest JS Date (271822 BC) for runAt',
    job: () => ({ runAt: new Date(-8.64e15) }),
    field: 'runAt',
    witness: pgRejects('select $1::timestamptz', [new Date(-8.64e15).toISOString()], /out of range/),
  },
  {
    name: 'a number for runAt (a time in ms since 1970, not a delay)',
    job: () => ({ runAt: Date.now() + 60_000 }),
    field: 'runAt',
    // Taken for a delay, Date.now() + 60_000 would run the job some 56 years from now.
    witness: pgReturns("select now() + $1::float8 * interval '1 millisecond' > now() + interval '50 years' as far", [Date.now() + 60_000], (r) => expect(r.far).toBe(true)),
  },
  { name: 'an ISO string for runAt', job: () => ({ runAt: '2030-01-01T00:00:00Z' }), field: 'runAt' },
  { name: 'null for runAt', job: () => ({ runAt: null }), field: 'runAt' },
  { name: 'runAt and delay together', job: () => ({ runAt: new Date(Date.now() + 60_000), delay: 1000 }), field: 'runAt' },
  { name: 'runAt and delay together, delay as text', job: () => ({ runAt: new Date(), delay: '30s' }), field: 'runAt' },
  { name: 'a negative delay', job: () => ({ delay: -1 }), field: 'delay', witness: pgReturns("select now() + $1::float8 * interval '1 millisecond' < now() as past", [-1], (r) => expect(r.past).toBe(true)) },
  { name: 'a negative delay as text', job: () => ({ delay: '-5s' }), field: 'delay' },
  { name: 'a NaN delay', job: () => ({ delay: Number.NaN }), field: 'delay', witness: pgRejects("select now() + $1::float8 * interval '1 millisecond'", [Number.NaN], /interval out of range/) },
  { name: 'an Infinity delay', job: () => ({ delay: Number.POSITIVE_INFINITY }), field: 'delay', witness: pgRejectsOrNever("select now() + $1::float8 * interval '1 millisecond'", [Number.POSITIVE_INFINITY]) },
  { name: 'a -Infinity delay', job: () => ({ delay: Number.NEGATIVE_INFINITY }), field: 'delay' },
  {
    name: 'a delay that ends past the last JS Date',
    job: () => ({ delay: 8.64e15 }),
    field: 'delay',
    witness: pgReturns("select now() + $1::float8 * interval '1 millisecond' as at", [8.64e15], (r) => expect(Number.isNaN((r.at as Date).getTime())).toBe(true)),
  },
  { name: 'a delay past timestamptz', job: () => ({ delay: 9.3e15 }), field: 'delay', witness: pgRejects("select now() + $1::float8 * interval '1 millisecond'", [9.3e15], /out of range/) },
  { name: 'a delay of unreadable text', job: () => ({ delay: `soon ${SECRET}` }), field: 'delay' },
  { name: 'a delay of empty text', job: () => ({ delay: '' }), field: 'delay' },
  { name: 'a Date for delay', job: () => ({ delay: new Date(Date.now() + 60_000) }), field: 'delay' },
  { name: 'null for delay', job: () => ({ delay: null }), field: 'delay' },

  // priority is a smallint.
  { name: 'priority 32768', job: () => ({ priority: 32768 }), field: 'priority', witness: pgRejects('select $1::smallint', [32768], /out of range for type smallint/) },
  { name: 'priority -32769', job: () => ({ priority: -32769 }), field: 'priority', witness: pgRejects('select $1::smallint', [-32769], /out of range for type smallint/) },
  { name: 'priority 2^53', job: () => ({ priority: 2 ** 53 }), field: 'priority', witness: pgRejects('select $1::smallint', [2 ** 53], /out of range for type smallint/) },
  { name: 'priority 1.5', job: () => ({ priority: 1.5 }), field: 'priority', witness: pgRejects('select $1::smallint', [1.5], /invalid input syntax for type smallint/) },
  { name: 'priority NaN', job: () => ({ priority: Number.NaN }), field: 'priority', witness: pgRejects('select $1::smallint', [Number.NaN], /invalid input syntax for type smallint/) },
  { name: 'priority Infinity', job: () => ({ priority: Number.POSITIVE_INFINITY }), field: 'priority' },
  { name: "priority '5' (a string)", job: () => ({ priority: '5' }), field: 'priority', witness: pgReturns('select $1::smallint as p', ['5'], (r) => expect(r.p).toBe(5)) },
  { name: 'priority null', job: () => ({ priority: null }), field: 'priority' },
]

describe('enqueue refuses what Postgres or JSON would refuse or change', () => {
  const q = useQueueDatabase('enqueue_input_refused', 'node-postgres')
  const logged: unknown[][] = []
  beforeEach(async () => {
    await q.reset()
    logged.length = 0
    for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(args))
    }
  })
  afterEach(() => {
    vi.restoreAllMocks()
    // No log line carries the data either.
    expect(logged.map((args) => args.map(String).join(' ')).join('\n')).not.toContain(SECRET)
  })
  const count = async () => (await q.sql('select count(*)::int as n from pgq.jobs'))[0]!.n

  /** Refused with an InvalidJobError naming the field (and the job), nothing written, no data shown. */
  async function expectRefused(run: () => Promise<unknown>, field: string, index: number | undefined) {
    const error = await run().then(
      () => expect.unreachable('the enqueue should have been refused'),
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(InvalidJobError)
    const e = error as InvalidJobError
    expect({ field: e.field, index: e.index, code: e.code }).toEqual({ field, index, code: 'PGQ_INVALID_JOB' })
    if (field !== 'jobs') expect(e.message).toContain(field) // 'jobs': the batch as a whole
    if (index !== undefined) expect(e.message).toMatch(new RegExp(`^job #${index}: `))
    expect(e.message).not.toContain(SECRET)
    expect(e.stack ?? '').not.toContain(SECRET)
    expect(await count()).toBe(0)
    return e
  }

  describe.each(cases)('$name', ({ job, field, witness }) => {
    const bad = () => ({ ...good, ...job() }) as NewJob

    it('enqueue() throws InvalidJobError naming the field, and writes nothing', async () => {
      const { entrypoint, payload, ...options } = bad()
      await expectRefused(() => q.producer().enqueue(entrypoint, payload, options), field, undefined)
    })

    it('in a batch of five, job #3 being bad: nothing of the batch is written and the error names #3', async () => {
      await expectRefused(() => q.producer().enqueueMany([good, good, good, bad(), good]), field, 3)
    })

    if (witness) {
      it('without the check, Postgres or JSON would refuse or change it', async () => {
        await witness(q.sql)
      })
    }
  })

  describe('the jobs of a batch', () => {
    it.each([
      ['an object', { entrypoint: 'fine', payload: 1 }],
      ['a string', SECRET],
      ['null', null],
      ['undefined', undefined],
    ])('enqueueMany(%s) is refused: it takes an array', async (_name, jobs) => {
      await expectRefused(() => q.producer().enqueueMany(jobs as never), 'jobs', undefined)
    })

    it('an empty batch is refused', async () => {
      await expectRefused(() => q.producer().enqueueMany([]), 'jobs', undefined)
    })

    it('a hole in the array is refused, not skipped (the ids would shift)', async () => {
      await expectRefused(() => q.producer().enqueueMany(holey(good, good) as NewJob[]), 'job', 1)
    })

    it.each([
      ['null', null],
      ['a string', SECRET],
      ['a number', 7],
      ['an array', [good]],
      ['a function', () => good],
    ])('a job that is %s is refused', async (_name, job) => {
      await expectRefused(() => q.producer().enqueueMany([good, good, job as never]), 'job', 2)
    })

    it('one dedupe key twice in a batch is refused before Postgres would', async () => {
      const jobs = [good, { ...good, dedupeKey: 'd' }, good, { ...good, dedupeKey: 'd' }]
      const e = await expectRefused(() => q.producer().enqueueMany(jobs), 'dedupeKey', 3)
      expect(e.message).toMatch(/also used by job #1/)
    })

    it(`a batch over ${MAX_BATCH_JSON_LENGTH} characters of JSON is refused at the job that passes it`, async () => {
      const big = 'x'.repeat(MAX_JSON_LENGTH - 2) // a payload exactly at the per-payload limit
      const jobs = Array.from({ length: MAX_BATCH_JSON_LENGTH / MAX_JSON_LENGTH + 1 }, () => ({ entrypoint: 'fine', payload: big }))
      await expectRefused(() => q.producer().enqueueMany(jobs), 'jobs', MAX_BATCH_JSON_LENGTH / MAX_JSON_LENGTH)
    })
  })

  describe('the options', () => {
    it.each([
      ['a number', 5],
      ['a string', SECRET],
      ['null', null],
      ['an array', []],
    ])('enqueue options that are %s are refused', async (_name, options) => {
      await expectRefused(() => q.producer().enqueue('fine', 1, options as never), 'options', undefined)
    })

    it.each([
      ['a number', 5],
      ['null', null],
    ])('enqueueMany options that are %s are refused', async (_name, options) => {
      await expectRefused(() => q.producer().enqueueMany([good], options as never), 'options', undefined)
    })

    it.each([
      ['raise', 'raise'],
      ['SKIP', 'SKIP'],
      ['true', true],
      ['null', null],
    ])("onConflict %s is refused (only 'error' and 'skip'): one job would have treated it as skip", async (_name, onConflict) => {
      await expectRefused(() => q.producer().enqueue('fine', 1, { onConflict: onConflict as never }), 'onConflict', undefined)
      await expectRefused(() => q.producer().enqueueMany([good, good], { onConflict: onConflict as never }), 'onConflict', undefined)
    })

    it.each([
      ['an object without execute() or query()', {}],
      ['null', null],
      ['a string', SECRET],
    ])('tx that is %s is refused', async (_name, tx) => {
      await expectRefused(() => q.producer().enqueue('fine', 1, { tx: tx as never }), 'tx', undefined)
      await expectRefused(() => q.producer().enqueueMany([good], { tx: tx as never }), 'tx', undefined)
    })
  })

  describe('unknown option names are a ConfigurationError naming them, never ignored', () => {
    async function expectUnknown(run: () => Promise<unknown>, message: RegExp) {
      const error = await run().then(
        () => expect.unreachable('the enqueue should have been refused'),
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(ConfigurationError)
      expect((error as Error).message).toMatch(message)
      expect((error as Error).message).not.toContain(SECRET)
      expect(await count()).toBe(0)
    }
    const known = 'known: priority, runAt, delay, dedupeKey, dedupe, headers, dependsOn, onParentFailure, tx, onConflict'

    it('a misspelt enqueue option', async () => {
      await expectUnknown(() => q.producer().enqueue('fine', { secret: SECRET }, { dedupKey: 'k' } as never), new RegExp(`^unknown enqueue option "dedupKey" \\(did you mean "dedupeKey"\\?\\); ${known}$`))
    })

    it('even when its value is undefined', async () => {
      await expectUnknown(() => q.producer().enqueue('fine', 1, { executeAfter: undefined } as never), /unknown enqueue option "executeAfter"; known:/)
    })

    it('entrypoint or payload given as an option', async () => {
      await expectUnknown(() => q.producer().enqueue('fine', 1, { payload: SECRET } as never), /unknown enqueue option "payload" \(payload is enqueue's own argument\)/)
    })

    it('a misspelt enqueueMany option', async () => {
      await expectUnknown(() => q.producer().enqueueMany([good], { onconflict: 'skip' } as never), /^unknown enqueueMany option "onconflict" \(did you mean "onConflict"\?\); known: tx, onConflict$/)
    })

    it('a misspelt field of job #2 in a batch', async () => {
      await expectUnknown(
        () => q.producer().enqueueMany([good, good, { ...good, priorty: 3 } as never]),
        /^job #2: unknown job field "priorty" \(did you mean "priority"\?\); known: entrypoint, payload, priority, runAt, delay, dedupeKey, dedupe, headers, dependsOn, onParentFailure$/,
      )
    })

    it('a batch option given per job', async () => {
      await expectUnknown(() => q.producer().enqueueMany([{ ...good, onConflict: 'skip' } as never]), /job #0: unknown job field "onConflict" \(onConflict is for the whole batch/)
    })

    it('through a Queue, for enqueue and enqueueMany', async () => {
      const queue = createQueue({ driver: q.driver })
      await expectUnknown(() => queue.enqueue('fine', 1, { headerz: { a: 1 } } as never), /unknown enqueue option "headerz" \(did you mean "headers"\?\)/)
      await expectUnknown(() => queue.enqueueMany([{ ...good, run_at: 5 } as never]), /job #0: unknown job field "run_at" \(did you mean "runAt"\?\)/)
      await expectRefused(() => queue.enqueue('fine', { bad: `${SECRET}\0` }), 'payload.bad', undefined)
      await expectRefused(() => queue.enqueueMany([good, good, good, { entrypoint: 'fine', payload: 1, headers: { t: `${SECRET}\ud800` } }]), 'headers.t', 3)
    })
  })
})
