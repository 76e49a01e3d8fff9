// Job results: what a handler returns is stored with its 'successful' log row, by the
// statement that finishes the job, and read back by waitForResult, status() and history().
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ConfigurationError } from '../src/errors.js'
import type { QueueEvents } from '../src/runtime/queue-events.js'
import { DRIVERS, useQueueDatabase } from './support/queue-database.js'
import { countingDriver, queueOn } from './support/runtime.js'

describe.each(DRIVERS)('job results over %s', (driverName) => {
  const q = useQueueDatabase('results', driverName)
  beforeEach(() => q.reset())
  afterEach(() => vi.restoreAllMocks())

  it('stores the return value with the success log row; waitForResult, status and history return it', async () => {
    const waiting = queueOn(q.driver)
    const queue = queueOn(q.driver)
      .entrypoint('sum', (job: { payload: { a: number; b: number } }) => ({ total: job.payload.a + job.payload.b, unicode: 'é✓' }))
      .entrypoint('text', () => 'done')
      .entrypoint('nothing', () => undefined)
      .entrypoint('fails', { maxAttempts: 1 }, () => {
        throw new Error('no result')
      })
    const [sum, text, nothing, fails] = await queue.enqueueMany([
      { entrypoint: 'sum', payload: { a: 1, b: 2 } },
      { entrypoint: 'text', payload: null },
      { entrypoint: 'nothing', payload: null },
      { entrypoint: 'fails', payload: null },
    ])
    const outcomes = waiting.waitForResult([sum!, text!, nothing!, fails!], { timeout: 10_000 })
    expect(await queue.drain({ timeBudget: 10_000 })).toMatchObject({ succeeded: 3, failed: 1 })
    expect(await outcomes).toEqual([
      { status: 'successful', result: { total: 3, unicode: 'é✓' } },
      { status: 'successful', result: 'done' },
      { status: 'successful', result: null },
      { status: 'failed', result: null },
    ])
    // waitFor keeps resolving with the status alone.
    expect(await waiting.waitFor(sum!, { timeout: 2000 })).toBe('successful')
    expect(await waiting.waitForResult(text!, { timeout: 2000 })).toEqual({ status: 'successful', result: 'done' })
    expect(await queue.status([sum!, fails!])).toEqual([
      { id: sum, status: 'successful', attempts: 1, inQueue: false, result: { total: 3, unicode: 'é✓' }, progress: null },
      { id: fails, status: 'failed', attempts: 1, inQueue: true, result: null, progress: null },
    ])
    expect((await queue.history(sum!)).map((e) => [e.status, e.result])).toEqual([['successful', { total: 3, unicode: 'é✓' }]])
    expect((await queue.history(fails!)).map((e) => [e.status, e.result])).toEqual([['failed', null]])
    expect(await q.sql('select job_id::int as id, result from pgq.log where result is not null order by job_id')).toEqual([
      { id: sum, result: { total: 3, unicode: 'é✓' } },
      { id: text, result: 'done' },
    ])
    await waiting.close()
  })

  it('puts each result on its own job in a flush of mixed successes and failures, in one finish statement', async () => {
    const counting = countingDriver(driverName, q.url)
    try {
      const queue = queueOn(counting.driver).entrypoint('mixed', { maxAttempts: 1 }, (job: { payload: number }) => {
        if (job.payload === 5) throw new Error('five fails')
        return job.payload % 2 === 0 ? { n: job.payload } : undefined
      })
      const ids = await queue.enqueueMany(Array.from({ length: 10 }, (_, n) => ({ entrypoint: 'mixed' as const, payload: n })))
      // One batch, one flush: the whole batch's results go out in one statement.
      expect(await queue.drain({ batchSize: 10, flushDelay: 200, timeBudget: 10_000 })).toMatchObject({ succeeded: 9, failed: 1 })
      expect(counting.count(/with succeeded as/)).toBe(1)
      const rows = await q.sql('select job_id::int as id, status, result from pgq.log order by job_id')
      expect(rows).toEqual(ids.map((id, n) => ({ id, status: n === 5 ? 'failed' : 'successful', result: n % 2 === 0 ? { n } : null })))
    } finally {
      await counting.driver.end()
    }
  })

  it('adds nothing to the finish statement when no handler returned anything', async () => {
    const counting = countingDriver(driverName, q.url)
    try {
      const queue = queueOn(counting.driver).entrypoint('void', () => undefined).entrypoint('some', () => 1)
      await queue.enqueueMany(Array.from({ length: 5 }, () => ({ entrypoint: 'void' as const, payload: null })))
      await queue.drain({ timeBudget: 10_000 })
      const finishes = () => counting.statements.filter((s) => /with succeeded as/.test(s))
      expect(finishes().length).toBeGreaterThan(0)
      expect(finishes().filter((s) => s.includes('::jsonb[]'))).toEqual([])
      await queue.enqueue('some', null)
      await queue.drain({ timeBudget: 10_000 })
      expect(finishes().filter((s) => s.includes('::jsonb[]'))).toHaveLength(1)
    } finally {
      await counting.driver.end()
    }
  })

  it('drops a result that is too big or not JSON: the job succeeds, its result is null, and job:result-dropped names the job and why', async () => {
    const secret = 'SECRET-VALUE'
    const queue = queueOn(q.driver)
      // 60 characters but 120 bytes of UTF-8: the limit is in bytes.
      .entrypoint('big', { maxResultBytes: 100 }, () => ({ text: `${secret}${'é'.repeat(60)}` }))
      .entrypoint('fits', { maxResultBytes: 100 }, () => ({ text: 'é'.repeat(40) }))
      .entrypoint('date', () => ({ label: secret, when: new Date() }))
      .entrypoint('cycle', () => {
        const value: Record<string, unknown> = { label: secret }
        value.self = value
        return value
      })
    const dropped: QueueEvents['job:result-dropped'][] = []
    queue.on('job:result-dropped', (e) => dropped.push(e))
    const [big, fits, date, cycle] = await queue.enqueueMany([
      { entrypoint: 'big', payload: null },
      { entrypoint: 'fits', payload: null },
      { entrypoint: 'date', payload: null },
      { entrypoint: 'cycle', payload: null },
    ])
    expect(await queue.drain({ timeBudget: 10_000 })).toMatchObject({ succeeded: 4, failed: 0 })
    expect(await queue.waitForResult([big!, fits!, date!, cycle!], { timeout: 5000 })).toEqual([
      { status: 'successful', result: null },
      { status: 'successful', result: { text: 'é'.repeat(40) } },
      { status: 'successful', result: null },
      { status: 'successful', result: null },
    ])
    const byJob = new Map(dropped.map((e) => [e.job.id, e]))
    expect(dropped).toHaveLength(3)
    expect(byJob.get(big!)).toMatchObject({ field: 'result', reason: expect.stringMatching(/^result is 143 bytes of JSON, more than maxResultBytes \(100\)$/) })
    expect(byJob.get(date!)).toMatchObject({ field: 'result.when', reason: expect.stringContaining('is a Date') })
    expect(byJob.get(cycle!)).toMatchObject({ field: 'result.self', reason: expect.stringContaining('cycle') })
    for (const e of dropped) expect(e.reason).not.toContain(secret)
    await queue.close()
  })

  it('warns, naming the job and never the value, when nobody listens for job:result-dropped', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    const queue = queueOn(q.driver).entrypoint('fn', () => ({ label: 'SECRET-VALUE', run: () => 1 }))
    const id = await queue.enqueue('fn', null)
    expect(await queue.drain({ timeBudget: 10_000 })).toMatchObject({ succeeded: 1 })
    const warnings = warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes('result was not stored'))
    expect(warnings).toEqual([`pgq: job ${id} (fn) succeeded, but its result was not stored: result.run is a function, which JSON cannot hold`])
  })

  it('stores nothing with logSuccess: false (no log row), and drops no result loudly either', async () => {
    const queue = queueOn(q.driver).entrypoint('quiet', { logSuccess: false }, () => ({ kept: false }))
    const dropped: unknown[] = []
    queue.on('job:result-dropped', (e) => dropped.push(e))
    const id = await queue.enqueue('quiet', null)
    expect(await queue.drain({ timeBudget: 10_000 })).toMatchObject({ succeeded: 1 })
    expect(await q.sql('select count(*)::int as n from pgq.log')).toEqual([{ n: 0 }])
    expect(await queue.history(id)).toEqual([])
    expect(await queue.status([id])).toEqual([{ id, status: null, attempts: 0, inQueue: false, result: null, progress: null }])
    expect(dropped).toEqual([])
  })

  it('refuses a maxResultBytes that is not an integer from 1 to 1 MiB, with a ConfigurationError naming it', () => {
    for (const bad of [0, -1, 1.5, 2 * 1024 * 1024, Number.NaN, '64k' as unknown as number]) {
      const define = () => queueOn(q.driver).entrypoint('x', { maxResultBytes: bad }, () => undefined)
      expect(define).toThrow(ConfigurationError)
      expect(define).toThrow(/entrypoint "x": maxResultBytes must be an integer from 1 to 1048576/)
    }
    expect(() => queueOn(q.driver).entrypoint('x', { maxResultBytes: 1024 * 1024 }, () => undefined)).not.toThrow()
  })
})
