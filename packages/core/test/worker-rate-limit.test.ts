import { beforeEach, describe, expect, it } from 'vitest'
import { DRIVERS, makeDriver, useQueueDatabase } from './support/queue-database.js'
import { queueOn, sleep } from './support/runtime.js'

describe.each(DRIVERS)('rate limits across workers over %s', (driverName) => {
  const q = useQueueDatabase('ratelimit', driverName)
  beforeEach(() => q.reset())

  it('two workers together start no more than requestsPerSecond', async () => {
    const RATE = 4
    const starts: number[] = []
    const drivers = [makeDriver(driverName, q.url, 4), makeDriver(driverName, q.url, 4)]
    const workers = drivers.map((driver) =>
      queueOn(driver)
        .entrypoint('limited', { requestsPerSecond: RATE }, () => void starts.push(performance.now()))
        .start({ pollInterval: 50 }),
    )
    try {
      await q.producer().enqueueMany(Array.from({ length: 40 }, () => ({ entrypoint: 'limited', payload: null })))
      const t0 = performance.now()
      await sleep(2000)
      const elapsed = (performance.now() - t0) / 1000
      // A full bucket (RATE) at the start, then RATE per second; one of slack for timing.
      expect(starts.length).toBeLessThanOrEqual(RATE + Math.ceil(RATE * elapsed) + 1)
      expect(starts.length).toBeGreaterThanOrEqual(RATE + Math.floor(RATE * 1.5) - 1)
    } finally {
      await Promise.all(workers.map((w) => w.stop()))
      await Promise.all(drivers.map((d) => d.end()))
    }
  })

  it('a concurrency limit holds across two workers in one process', async () => {
    let running = 0
    let peak = 0
    const handler = async () => {
      peak = Math.max(peak, ++running)
      await sleep(30)
      running--
    }
    const drivers = [makeDriver(driverName, q.url, 4), makeDriver(driverName, q.url, 4)]
    const queues = drivers.map((d) => queueOn(d).entrypoint('two', { concurrencyLimit: 2 }, handler))
    await queues[0]!.enqueueMany(Array.from({ length: 20 }, () => ({ entrypoint: 'two' as const, payload: null })))
    try {
      const summaries = await Promise.all(queues.map((queue) => queue.drain({ timeBudget: 20_000 })))
      expect(summaries.reduce((n, s) => n + s.succeeded, 0)).toBe(20)
      expect(peak).toBe(2)
    } finally {
      await Promise.all(drivers.map((d) => d.end()))
    }
  })
})
