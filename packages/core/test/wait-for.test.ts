import { beforeEach, describe, expect, it } from 'vitest'
import { ConfigurationError } from '../src/errors.js'
import { WaitTimeoutError } from '../src/runtime/completion-waiter.js'
import { DRIVERS, makeDriver, useQueueDatabase } from './support/queue-database.js'
import { queueOn, sleep } from './support/runtime.js'

describe.each(DRIVERS)('waitFor over %s', (driverName) => {
  const q = useQueueDatabase('waitfor', driverName)
  beforeEach(() => q.reset())

  it('resolves the final status of many jobs at once, woken by NOTIFY', async () => {
    const waiting = queueOn(q.driver, { waitPollInterval: '60s' }) // the poll cannot be what wakes it
    await q.fleet().setEntrypointPolicy('fails', { onExhausted: 'delete' }) // stored on the job at enqueue
    const ids = await waiting.enqueueMany([
      { entrypoint: 'ok', payload: 1 },
      { entrypoint: 'fails', payload: 2 },
      { entrypoint: 'ok', payload: 3 },
      { entrypoint: 'canceled', payload: 4 },
    ])
    const results = waiting.waitFor(ids, { timeout: 10_000 })
    await sleep(200)
    // The jobs run in a worker with a connection of its own, as in another process.
    const workerDriver = makeDriver(driverName, q.url, 4)
    try {
      const worker = queueOn(workerDriver)
        .entrypoint('ok', () => undefined)
        .entrypoint('fails', { onFailure: 'delete' }, () => {
          throw new Error('x')
        })
      const started = performance.now()
      await waiting.cancel([ids[3]!])
      await worker.drain({ timeBudget: 5000 })
      expect(await results).toEqual(['successful', 'exception', 'successful', 'canceled'])
      expect(performance.now() - started).toBeLessThan(10_000)
    } finally {
      await workerDriver.end()
      await waiting.close()
    }
  })

  it('resolves at once for a job that finished before the call, and reports held failures', async () => {
    const queue = queueOn(q.driver).entrypoint('hold', () => {
      throw new Error('held')
    })
    const id = await queue.enqueue('hold', null)
    await queue.drain({ timeBudget: 5000 })
    expect(await queue.waitFor(id, { timeout: '2s' })).toBe('failed')
    await queue.close()
  })

  it('times out with a typed error naming the jobs still pending, and honours an AbortSignal', async () => {
    const queue = queueOn(q.driver, { waitPollInterval: 50 })
    const id = await queue.enqueue('never_run', null)
    const error = await queue.waitFor(id, { timeout: 300 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WaitTimeoutError)
    expect((error as Error).message).toContain(String(id))
    const controller = new AbortController()
    const waiting = queue.waitFor(id, { signal: controller.signal })
    controller.abort(new Error('caller gave up'))
    await expect(waiting).rejects.toThrow('caller gave up')
    await queue.close()
  })

  it('refuses a timeout or poll interval that is no duration, with a ConfigurationError naming it', async () => {
    expect(() => queueOn(q.driver, { waitPollInterval: 'often' })).toThrow(ConfigurationError)
    expect(() => queueOn(q.driver, { waitPollInterval: 'often' })).toThrow(/waitPollInterval must be a duration/)
    expect(() => queueOn(q.driver, { waitPollInterval: '' })).toThrow(ConfigurationError) // not ms's own Error for ''
    const queue = queueOn(q.driver)
    const id = await queue.enqueue('never_run', null)
    await expect(queue.waitFor(id, { timeout: -1 })).rejects.toThrow(/timeout must be a duration >= 0/)
    await expect(queue.waitFor(id, { timeout: 'soon' })).rejects.toBeInstanceOf(ConfigurationError)
    await queue.close()
  })
})
