// Bad input to the inspect, control and wait calls and to createQueue/entrypoint: a typed
// error naming the field, before any statement; never a raw Postgres error, a TypeError or a hang.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ConfigurationError, InvalidJobError, SchemaOutdatedError } from '../src/errors.js'
import { createProducer } from '../src/runtime/producer.js'
import { DRIVERS, useQueueDatabase } from './support/queue-database.js'
import { countingDriver, queueOn } from './support/runtime.js'

/** The error a call rejects (or throws) with. */
async function refusal(call: () => unknown): Promise<unknown> {
  try {
    await call()
  } catch (error) {
    return error
  }
  throw new Error('the call was accepted')
}

/** `call` is refused with `type` naming `field`, the message matching `message`. */
async function expectRefused(call: () => unknown, type: typeof InvalidJobError | typeof ConfigurationError, message: RegExp, field?: string) {
  const error = await refusal(call)
  expect(error).toBeInstanceOf(type)
  expect((error as Error).message).toMatch(message)
  if (field !== undefined) expect((error as InvalidJobError).field).toBe(field)
}

const standardSchema = { '~standard': { version: 1, vendor: 'test', validate: (value: unknown) => ({ value }) } }

describe.each(DRIVERS)('input refused over %s', (driverName) => {
  const q = useQueueDatabase('api_refused', driverName)
  let counting: ReturnType<typeof countingDriver>
  beforeAll(() => {
    counting = countingDriver(driverName, q.url)
  })
  afterAll(() => counting?.driver.end?.())
  beforeEach(async () => {
    await q.reset()
    counting.statements.length = 0
  })

  it('waitFor and waitForResult of no ids resolve at once', { timeout: 5000 }, async () => {
    const queue = queueOn(counting.driver)
    expect(await queue.waitFor([])).toEqual([])
    expect(await queue.waitForResult([])).toEqual([])
    expect(counting.statements).toEqual([])
    await queue.close()
  })

  it('waitFor of an id no job has rejects at its first read, naming the id', { timeout: 5000 }, async () => {
    const queue = queueOn(q.driver)
    const error = await refusal(() => queue.waitFor(987654321))
    expect(error).toBeInstanceOf(InvalidJobError)
    expect((error as Error).message).toMatch(/^no job 987654321: never enqueued, or its log was pruned/)
    expect((error as InvalidJobError).field).toBe('id')
    expect((error as InvalidJobError).jobIds).toEqual([987654321])
    const known = await queue.enqueue('waits', null)
    const many = await refusal(() => queue.waitForResult([known, 987654321, 987654322], { timeout: 4000 }))
    expect((many as Error).message).toMatch(/^no job 987654321, 987654322: never enqueued, or their logs were pruned/)
    expect((many as InvalidJobError).field).toBe('ids')
    await queue.close()
  })

  it('waitFor refuses what is not a job id or an array of them, and unknown options, before any statement', async () => {
    const queue = queueOn(counting.driver)
    const wait = queue.waitFor as (ids: unknown, options?: unknown) => Promise<unknown>
    for (const id of ['12', null, undefined, 1.5, 0, -3, 2 ** 64, { id: 1 }]) {
      await expectRefused(() => wait.call(queue, id), InvalidJobError, /^id must be a job id \(a positive integer\)/, 'id')
    }
    await expectRefused(() => wait.call(queue, [1, '2']), InvalidJobError, /^ids\[1\] must be a job id/, 'ids')
    await expectRefused(() => queue.waitForResult('12' as never), InvalidJobError, /^id must be a job id/, 'id')
    await expectRefused(() => queue.waitFor(1, { tmeout: 5 } as never), ConfigurationError, /unknown waitFor option "tmeout"; known: timeout, signal, onProgress/)
    await expectRefused(() => queue.waitFor(1, null as never), ConfigurationError, /waitFor options must be an object/)
    await expectRefused(() => queue.waitFor(1, { signal: {} } as never), ConfigurationError, /signal must be an AbortSignal/)
    expect(counting.statements).toEqual([])
    await queue.close()
  })

  it('waitFor on a database without the schema rejects with SchemaOutdatedError', { timeout: 10_000 }, async () => {
    for (const owner of [createProducer({ driver: q.driver, schema: 'pgq_absent' }), queueOn(q.driver, { schema: 'pgq_absent' })]) {
      await expect(owner.waitFor(1, { timeout: 8000 })).rejects.toBeInstanceOf(SchemaOutdatedError)
      await owner.close()
    }
  })

  it('job, history, jobByDedupeKey, pause and resume refuse bad input before any statement', async () => {
    const queue = queueOn(counting.driver)
    for (const id of [1.5, '1; drop', 2 ** 64, null]) {
      await expectRefused(() => queue.job(id as never), InvalidJobError, /^id must be a job id/, 'id')
      await expectRefused(() => queue.history(id as never), InvalidJobError, /^id must be a job id/, 'id')
    }
    await expectRefused(() => queue.history('x' as never), InvalidJobError, /^id must be a job id/, 'id')
    await expectRefused(() => queue.jobByDedupeKey('a\0'), InvalidJobError, /^dedupeKey contains U\+0000/, 'dedupeKey')
    await expectRefused(() => queue.jobByDedupeKey('a\uD800'), InvalidJobError, /^dedupeKey is not valid Unicode/, 'dedupeKey')
    await expectRefused(() => queue.jobByDedupeKey('k'.repeat(513)), InvalidJobError, /^dedupeKey must be a string of 1 to 512 characters/, 'dedupeKey')
    for (const verb of ['pause', 'resume'] as const) {
      await expectRefused(() => queue[verb]('a\0'), ConfigurationError, /^entrypoint contains U\+0000/)
      await expectRefused(() => queue[verb](7 as never), ConfigurationError, /^entrypoint must be a string, got a number/)
    }
    await expectRefused(() => queue.setEntrypointPolicy('a\0', { concurrencyLimit: 1 }), ConfigurationError, /^entrypoint contains U\+0000/)
    await expectRefused(() => queue.entrypointPolicies(['a\0']), ConfigurationError, /^names\[0\] contains U\+0000/)
    await expectRefused(() => queue.removeSchedules('a\0'), ConfigurationError, /^entrypoint contains U\+0000/)
    await expectRefused(() => queue.requeue({ entrypoints: ['ok', 'a\0'] }), InvalidJobError, /^entrypoints\[1\] contains U\+0000/, 'entrypoints')
    await expectRefused(() => queue.failures({ entrypoints: ['a\0'] }), ConfigurationError, /^entrypoints\[0\] contains U\+0000/)
    await expectRefused(() => queue.failures({ entrypoint: ['a'] } as never), ConfigurationError, /unknown failures option "entrypoint"/)
    expect(counting.statements).toEqual([])
    await queue.close()
  })

  it('statistics refuses what is not a valid Date, bad names and unknown options; reads any date a Date holds', async () => {
    const queue = queueOn(counting.driver)
    await expectRefused(() => queue.statistics({ since: 'x' } as never), ConfigurationError, /^since must be a Date, got a string/)
    await expectRefused(() => queue.statistics({ until: Date.now() } as never), ConfigurationError, /^until must be a Date, got a number/)
    await expectRefused(() => queue.statistics({ since: new Date(Number.NaN) }), ConfigurationError, /^since is an Invalid Date/)
    await expectRefused(() => queue.statistics({ since: new Date(-8.64e15) }), ConfigurationError, /^since is before 4714-11-24 BC/)
    await expectRefused(() => queue.statistics({ entrypoints: ['a\0'] }), ConfigurationError, /^entrypoints\[0\] contains U\+0000/)
    await expectRefused(() => queue.statistics({ entrypoints: 'a' } as never), ConfigurationError, /^entrypoints must be an array of entrypoint names/)
    await expectRefused(() => queue.statistics({ sinse: new Date() } as never), ConfigurationError, /unknown statistics option "sinse"; known: since, until, entrypoints/)
    expect(counting.statements).toEqual([])
    // Years past 9999 and before 1 AD: toISOString's form of them is one Postgres refuses.
    expect(await queue.statistics({ since: new Date(Date.UTC(-100, 0, 1)), until: new Date(8.64e15) })).toEqual([])
    await queue.close()
  })

  it('createQueue and createProducer refuse unknown option names', () => {
    expect(() => queueOn(q.driver, { retension: {} } as never)).toThrow(ConfigurationError)
    expect(() => queueOn(q.driver, { retension: {} } as never)).toThrow(/unknown createQueue option "retension"; known: .*retention/)
    expect(() => createProducer({ driver: q.driver, retention: {} } as never)).toThrow(/unknown createProducer option "retention"/)
    expect(() => queueOn(q.driver, { retention: { successful: '1d' }, waitPollInterval: 100, checkSchema: true })).not.toThrow()
  })

  it('entrypoint refuses a schema that is not a Standard Schema, when registered', () => {
    const queue = queueOn(q.driver)
    for (const schema of [{}, null, { '~standard': {} }, { '~standard': { validate: 'no' } }]) {
      expect(() => queue.entrypoint('hs', { schema } as never, () => undefined)).toThrow(ConfigurationError)
      expect(() => queue.entrypoint('hs', { schema } as never, () => undefined)).toThrow(/entrypoint "hs": schema must be a Standard Schema/)
    }
    expect(queue.entrypoints()).toEqual([])
    expect(() => queue.entrypoint('hs', { schema: standardSchema as never }, () => undefined)).not.toThrow()
  })
})
