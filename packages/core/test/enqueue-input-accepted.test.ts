// The edges of what enqueue accepts: each value is stored and read back exactly as given (or,
// for -0, as documented), so the checks refuse nothing Postgres would have kept.
import { beforeEach, describe, expect, it } from 'vitest'
import { MAX_JSON_DEPTH, MAX_JSON_LENGTH } from '../src/validation/job-input.js'
import { DRIVERS, useQueueDatabase } from './support/queue-database.js'

const controlChars = Array.from({ length: 31 }, (_, i) => String.fromCharCode(i + 1)).join('')
const nested = (depth: number) => {
  let v: unknown = 'bottom'
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { v }
  return v
}

describe.each(DRIVERS)('enqueue accepts and keeps, over %s', (driverName) => {
  const q = useQueueDatabase('enqueue_input_accepted', driverName)
  beforeEach(() => q.reset())
  const row = async (id: number) => (await q.sql('select *, (extract(epoch from execute_after) * 1000)::float8 as at_ms from pgq.jobs where id = $1', [id]))[0]!

  it.each<[string, unknown]>([
    ['every control character but U+0000', { s: controlChars, [controlChars]: 1 }],
    ['backslashes that spell escapes', ['\\u0000', '\\ud800', '\\\\u0000', '\\']],
    ['surrogate pairs, U+FFFE and U+FFFF', { '😀': '𝄞 😀', s: '\ufffe\uffff', k: '\ud83d\ude00' }],
    ['keys that are not names', { 'a b': 1, '': 2, '0': 3, 'ü-ber': 4, ['x'.repeat(100)]: 5 }],
    ['a __proto__ key from JSON.parse', JSON.parse('{"__proto__": {"a": 1}, "b": 2}')],
    ['numbers at the edges of a double', [5e-324, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_SAFE_INTEGER, 2 ** 53 + 2, 0.1, 1e21, -1e-7, 123456789.12345679]],
    [`nesting exactly ${MAX_JSON_DEPTH} deep`, nested(MAX_JSON_DEPTH - 1)],
    ['a null-prototype object', Object.assign(Object.create(null), { a: 1, b: [null] })],
    ['one object shared twice (no cycle)', (() => { const x = { n: 1 }; return { a: x, b: [x, x] } })()],
    ['a top-level string, number, boolean and null', ['s', 1, true, null]],
  ])('a payload with %s', async (_name, payload) => {
    const id = await q.producer().enqueue('fine', payload, { headers: { copy: payload as never } })
    const r = await row(id)
    expect(r.payload).toEqual(JSON.parse(JSON.stringify(payload)))
    expect(r.headers).toEqual({ copy: JSON.parse(JSON.stringify(payload)) })
  })

  it(`a payload of exactly ${MAX_JSON_LENGTH} characters of JSON`, async () => {
    const payload = 'x'.repeat(MAX_JSON_LENGTH - 2)
    expect(JSON.stringify(payload)).toHaveLength(MAX_JSON_LENGTH)
    const r = await row(await q.producer().enqueue('fine', payload))
    expect(r.payload).toBe(payload)
    // Objects and arrays too, at exactly the limit (their commas were counted one too many), and not one more.
    const object = { a: 'x'.repeat(MAX_JSON_LENGTH - 18), b: [1, 2] } // {"a":"…","b":[1,2]}
    expect(JSON.stringify(object)).toHaveLength(MAX_JSON_LENGTH)
    expect((await row(await q.producer().enqueue('fine', object))).payload).toEqual(object)
    const array = ['x'.repeat(MAX_JSON_LENGTH - 8), 1, 2] // ["…",1,2]
    expect(JSON.stringify(array)).toHaveLength(MAX_JSON_LENGTH)
    expect((await row(await q.producer().enqueue('fine', array))).payload).toEqual(array)
    await expect(q.producer().enqueue('fine', { ...object, c: 1 })).rejects.toMatchObject({ field: 'payload' })
  })

  it('-0 is stored as 0, as JSON writes it (documented, not refused)', async () => {
    const r = await row(await q.producer().enqueue('fine', { n: -0, a: [-0] }, { priority: -0, delay: -0 }))
    expect(r.payload).toEqual({ n: 0, a: [0] })
    expect(Object.is((r.payload as { n: number }).n, 0)).toBe(true)
    expect(r.priority).toBe(0)
  })

  it('a getter is read as JSON.stringify reads it', async () => {
    const r = await row(await q.producer().enqueue('fine', { get computed() { return 42 } }))
    expect(r.payload).toEqual({ computed: 42 })
  })

  it('no payload is SQL NULL; null is JSON null', async () => {
    const ids = await q.producer().enqueueMany([{ entrypoint: 'fine', payload: undefined }, { entrypoint: 'fine', payload: null }])
    const rows = await q.sql('select payload is null as sql_null, jsonb_typeof(payload) as t from pgq.jobs where id = any($1::bigint[]) order by id', [ids])
    expect(rows).toEqual([{ sql_null: true, t: null }, { sql_null: false, t: 'null' }])
  })

  it('entrypoints and dedupe keys at their longest, in characters of several bytes', async () => {
    const entrypoint = '€'.repeat(128) // 384 bytes
    const dedupeKey = '€'.repeat(512) // 1536 bytes: within the unique index's 2704
    const pairs = '😀'.repeat(256) // 512 UTF-16 units, 1024 bytes
    const ids = await q.producer().enqueueMany([
      { entrypoint, payload: 1, dedupeKey },
      { entrypoint: `😀${controlChars.slice(0, 126)}`, payload: 2, dedupeKey: pairs },
    ])
    const rows = await q.sql('select entrypoint, dedupe_key from pgq.jobs where id = any($1::bigint[]) order by id', [ids])
    expect(rows).toEqual([
      { entrypoint, dedupe_key: dedupeKey },
      { entrypoint: `😀${controlChars.slice(0, 126)}`, dedupe_key: pairs },
    ])
  })

  it('priorities at both ends of smallint', async () => {
    const ids = await q.producer().enqueueMany([{ entrypoint: 'fine', payload: 1, priority: -32768 }, { entrypoint: 'fine', payload: 2, priority: 32767 }])
    expect((await q.sql('select priority from pgq.jobs where id = any($1::bigint[]) order by id', [ids])).map((r) => r.priority)).toEqual([-32768, 32767])
  })

  it.each<[string, Date]>([
    ['4714-11-24 BC, the first instant of timestamptz', new Date(Date.UTC(-4713, 10, 24))],
    ['1 BC (ISO year 0)', new Date('0000-06-15T12:34:56.789Z')],
    ['0001-01-01', new Date('0001-01-01T00:00:00.000Z')],
    ['0099-12-31, a two-digit year', new Date('0099-12-31T23:59:59.123Z')],
    ['9999-12-31T23:59:59.999', new Date('9999-12-31T23:59:59.999Z')],
    ['10000-01-01 (toISOString writes +010000, which Postgres refuses)', new Date('+010000-01-01T00:00:00.001Z')],
    ['the last JS Date, +275760-09-13', new Date(8.64e15)],
  ])('runAt at %s is stored exactly', async (_name, at) => {
    const id = await q.producer().enqueue('fine', null, { runAt: at })
    const r = await row(id)
    expect(r.at_ms).toBe(at.getTime())
    expect((r.execute_after as Date).getTime()).toBe(at.getTime())
    // And pgq reads it back as it was: Date.parse took 0001 for 2001 and could not read BC.
    expect((await q.producer().job(id))!.runAt.getTime()).toBe(at.getTime())
  })

  it('delays of 0, a fraction, and nearly the longest', async () => {
    const longest = 8.64e15 - Date.now() - 86_400_000 // a day of slack for the database clock
    const before = Date.now()
    const ids = await q.producer().enqueueMany([0, 0.5, longest].map((delay) => ({ entrypoint: 'fine', payload: null, delay })))
    const rows = await q.sql('select (extract(epoch from execute_after) * 1000)::float8 as at_ms from pgq.jobs where id = any($1::bigint[]) order by id', [ids])
    expect(rows[0]!.at_ms).toBeGreaterThanOrEqual(before - 5_000)
    expect(rows[1]!.at_ms).toBeGreaterThanOrEqual(before - 5_000)
    expect(rows[2]!.at_ms as number).toBeGreaterThan(8.64e15 - 2 * 86_400_000)
  })

  it("delays as text ('0s', '1.5h', '2 days') are read as their milliseconds", async () => {
    const before = Date.now()
    const ids = await q.producer().enqueueMany(['0s', '1.5h', '2 days'].map((delay) => ({ entrypoint: 'fine', payload: null, delay })))
    const after = Date.now()
    const rows = await q.sql('select (extract(epoch from execute_after) * 1000)::float8 as at_ms from pgq.jobs where id = any($1::bigint[]) order by id', [ids])
    // The database clock may differ from ours a little: 5 s of slack either way.
    const expected = [0, 1.5 * 3_600_000, 2 * 86_400_000]
    for (const [i, ms] of expected.entries()) {
      expect(rows[i]!.at_ms as number).toBeGreaterThanOrEqual(before + ms - 5_000)
      expect(rows[i]!.at_ms as number).toBeLessThanOrEqual(after + ms + 5_000)
    }
  })

  it('options given as undefined, and empty options, are the defaults', async () => {
    const producer = q.producer()
    await producer.enqueue('fine', 1, {})
    await producer.enqueue('fine', 2, { priority: undefined, runAt: undefined, delay: undefined, dedupeKey: undefined, headers: undefined, tx: undefined, onConflict: undefined })
    await producer.enqueueMany([{ entrypoint: 'fine', payload: 3, priority: undefined }], {})
    await producer.enqueueMany([{ entrypoint: 'fine', payload: 4 }], { tx: undefined, onConflict: undefined })
    expect(await q.sql('select payload, priority, headers from pgq.jobs order by id')).toEqual([1, 2, 3, 4].map((payload) => ({ payload, priority: 0, headers: null })))
  })

  it('headers: empty, nested, and null-prototype', async () => {
    const ids = await q.producer().enqueueMany([
      { entrypoint: 'fine', payload: 1, headers: {} },
      { entrypoint: 'fine', payload: 2, headers: { trace: { id: 'abc', spans: [1, 2] }, 'x-tenant': 'acme' } },
      { entrypoint: 'fine', payload: 3, headers: Object.assign(Object.create(null), { a: 'b' }) },
    ])
    const rows = await q.sql('select headers from pgq.jobs where id = any($1::bigint[]) order by id', [ids])
    expect(rows.map((r) => r.headers)).toEqual([{}, { trace: { id: 'abc', spans: [1, 2] }, 'x-tenant': 'acme' }, { a: 'b' }])
  })
})
