import { beforeEach, describe, expect, it } from 'vitest'
import { ConfigurationError } from '../src/errors.js'
import { parseNotification } from '../src/queue/notify-events.js'
import { DRIVERS, useQueueDatabase } from './support/queue-database.js'
import { queueOn } from './support/runtime.js'

describe.each(DRIVERS)('entrypoints with logSuccess: false, over %s', (driverName) => {
  const q = useQueueDatabase('unlogged', driverName)
  beforeEach(() => q.reset())

  it('leave no log row for a success, but log failures; other entrypoints log everything', async () => {
    const queue = queueOn(q.driver)
      .entrypoint('quiet', { logSuccess: false, maxAttempts: 1, onFailure: 'hold' }, (job) => {
        if (job.payload === 'fail') throw new Error('it failed')
      })
      .entrypoint('loud', () => undefined)
    const [ok1, ok2, bad, loud] = await queue.enqueueMany([
      { entrypoint: 'quiet', payload: 'ok' },
      { entrypoint: 'quiet', payload: 'ok' },
      { entrypoint: 'quiet', payload: 'fail' },
      { entrypoint: 'loud', payload: 'ok' },
    ])
    const summary = await queue.drain({ timeBudget: 10_000 })
    expect(summary).toMatchObject({ succeeded: 3, failed: 1 })
    expect(await q.sql('select job_id::int as id, entrypoint, status from pgq.log order by job_id')).toEqual([
      { id: bad, entrypoint: 'quiet', status: 'failed' },
      { id: loud, entrypoint: 'loud', status: 'successful' },
    ])
    expect(await q.sql('select id::int, status from pgq.jobs')).toEqual([{ id: bad, status: 'failed' }])
    expect(await queue.history(ok1!)).toEqual([])
    expect(await queue.status([ok2!, loud!])).toEqual([
      { id: ok2, status: null, attempts: 0, inQueue: false, result: null, progress: null },
      { id: loud, status: 'successful', attempts: 1, inQueue: false, result: null, progress: null },
    ])
  })

  it('still log a retry and a cancel: only the success row is left out', async () => {
    let runs = 0
    const queue = queueOn(q.driver).entrypoint('quiet', { logSuccess: false, maxAttempts: 2, backoff: { base: 300, jitter: 0 } }, () => {
      if (++runs === 1) throw new Error('first attempt fails')
    })
    const [retried, canceled] = await queue.enqueueMany([
      { entrypoint: 'quiet', payload: 1 },
      { entrypoint: 'quiet', payload: 2, delay: 60_000 },
    ])
    expect(await queue.cancel([canceled!])).toHaveLength(1)
    // The retry is due in 300 ms: after this drain, which ends at once; a later one runs it.
    expect(await queue.drain({ timeBudget: 10_000 })).toMatchObject({ retried: 1, succeeded: 0 })
    await expect.poll(async () => (await queue.drain({ timeBudget: 10_000 })).succeeded, { timeout: 5000 }).toBe(1)
    expect(await q.sql('select job_id::int as id, status from pgq.log order by job_id')).toEqual([
      { id: retried, status: 'queued' },
      { id: canceled, status: 'canceled' },
    ])
    expect(await queue.waitFor(canceled!, { timeout: 2000 })).toBe('canceled')
  })

  it('rejects a logSuccess that is not a boolean', () => {
    const define = () => queueOn(q.driver).entrypoint('x', { logSuccess: 'no' as unknown as boolean }, () => undefined)
    expect(define).toThrow(ConfigurationError)
    expect(define).toThrow(/logSuccess must be true or false/)
  })

  it('waitFor learns of the success from the completion event; a wait begun afterwards times out', async () => {
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => (release = resolve))
    const queue = queueOn(q.driver).entrypoint('quiet', { logSuccess: false }, () => gate)
    const worker = queue.start({ pollInterval: 50 })
    try {
      const id = await queue.enqueue('quiet', null)
      await expect.poll(() => q.sql(`select status from pgq.jobs where id = $1`, [id]), { timeout: 5000 }).toEqual([{ status: 'picked' }])
      const waiting = queue.waitFor(id, { timeout: 10_000 })
      await new Promise((r) => setTimeout(r, 200)) // its listener is up before the job ends
      release()
      expect(await waiting).toBe('successful')
      expect(await q.sql('select count(*)::int as n from pgq.log')).toEqual([{ n: 0 }])
      // Its success left no log row: a wait that starts now cannot tell it from an id never issued.
      await expect(queue.waitFor(id, { timeout: 300 })).rejects.toThrow(/^no job \d+: never enqueued/)
    } finally {
      release()
      await worker.stop()
      await queue.close()
    }
  })
})

describe('the done event of unlogged successes', () => {
  it('parses a done event with status successful, and refuses any other status', () => {
    expect(parseNotification('{"type":"done","ids":[1,2],"status":"successful"}')).toEqual({ type: 'done', ids: [1, 2], status: 'successful' })
    expect(parseNotification('{"type":"done","ids":[1]}')).toEqual({ type: 'done', ids: [1] })
    expect(parseNotification('{"type":"done","ids":[1],"status":"failed"}')).toBeNull()
  })
})
