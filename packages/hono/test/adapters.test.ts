// The runtime adapters: Workers' scheduled() helper and the Node server with its worker.
import { type AddressInfo, createServer } from 'node:net'
import { ConfigurationError, type DrainSummary, type PgqDriver, type ScheduleFiring, withPgClient } from '@pgq/core'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { TestDatabase } from '../../core/test/setup/database.js'
import { type AppQueue, createQueueApi, firingsJson, tick } from '../src/index.js'
import { serve } from '../src/node.js'
import { scheduledHandler } from '../src/workers.js'
import { bearer, driverFor, freshDatabase, testQueue } from './support.js'

describe('scheduledHandler', () => {
  const firing: ScheduleFiring = { entrypoint: 'ok', expression: '* * * * *', scheduledFor: new Date(0), mode: 'enqueue', jobId: 7 }
  const summary: DrainSummary = { claimed: 1, succeeded: 1, failed: 0, retried: 0, lost: 0, canceled: 0, unwritten: 0, remaining: 0, durationMs: 5, stoppedBy: 'empty' }

  it('fires schedules, then drains in the budget left (without firing them again), and ends the queue in waitUntil', async () => {
    const steps: string[] = []
    const queue = {
      entrypoints: () => ['ok'],
      fireDueSchedules: async () => {
        steps.push('fire')
        return [firing]
      },
      drain: async (o?: { maintenance?: boolean; timeBudget?: number | string }) => {
        steps.push(`drain maintenance ${o?.maintenance} ${typeof o?.timeBudget === 'number' && o.timeBudget <= 5000}`)
        return summary
      },
    } as unknown as AppQueue
    const waited: Promise<unknown>[] = []
    const ticks: unknown[] = []
    const handler = scheduledHandler({
      queueFor: () => ({ queue, end: async () => void steps.push('end') }),
      timeBudget: 5000,
      onTick: (result) => ticks.push(result),
    })
    await handler({ cron: '* * * * *', scheduledTime: 0 }, {}, { waitUntil: (p) => waited.push(p) })
    await Promise.all(waited)
    expect(steps).toEqual(['fire', 'drain maintenance false true', 'end'])
    expect(ticks).toEqual([{ schedules: [firing], summary }])
  })

  it('still releases the queue when the tick fails', async () => {
    const waited: Promise<unknown>[] = []
    let ended = false
    const queue = { entrypoints: () => ['ok'], fireDueSchedules: () => Promise.reject(new Error('db down')), drain: async () => summary } as unknown as AppQueue
    const end = async () => {
      ended = true
    }
    const handler = scheduledHandler({ queueFor: () => ({ queue, end }) })
    await expect(handler({ cron: '* * * * *', scheduledTime: 0 }, {}, { waitUntil: (p) => waited.push(p) })).rejects.toThrow('db down')
    await Promise.all(waited)
    expect(ended).toBe(true)
  })
})

describe('scheduledHandler options', () => {
  const queueFor = () => ({ queue: {} as AppQueue, end: async () => undefined })

  it('refuses unknown options and a bad timeBudget when the handler is made, not on the first cron tick', () => {
    const refusals: [unknown, string][] = [
      [{ queueFor, timeBuget: '25s' }, 'unknown scheduledHandler option "timeBuget"; known: queueFor, timeBudget, onTick'],
      [{ queueFor, timeBudget: 'soon' }, 'scheduledHandler timeBudget must be a duration > 0'],
      // Past a timer's reach every tick's drain would refuse it.
      [{ queueFor, timeBudget: '100d' }, 'scheduledHandler timeBudget must be at most 24 days (2147483647 ms), got "100d"'],
      [{ queueFor, timeBudget: 0 }, 'scheduledHandler timeBudget must be a duration > 0'],
      [{ queueFor, timeBudget: -5 }, 'scheduledHandler timeBudget must be a duration > 0'],
      [{ timeBudget: '25s' }, 'scheduledHandler needs { queueFor: (env) => ({ queue, end }) }'],
      [{ queueFor, onTick: 'log' }, 'scheduledHandler onTick must be a function'],
    ]
    for (const [options, message] of refusals) {
      expect(() => scheduledHandler(options as never), message).toThrow(ConfigurationError)
      expect(() => scheduledHandler(options as never), message).toThrow(message)
    }
    for (const timeBudget of [undefined, 5000, '25s']) expect(() => scheduledHandler({ queueFor, timeBudget, onTick: () => undefined })).not.toThrow()
  })
})

describe('tick, on a real queue', () => {
  let db: TestDatabase
  let driver: PgqDriver
  beforeAll(async () => {
    db = await freshDatabase('hono_tick')
    driver = driverFor(db)
  })
  afterAll(async () => {
    await driver?.end()
    await db?.drop()
  })

  it("bounds an inline schedule handler by the tick's budget: its signal aborts and the tick ends", async () => {
    let aborted = false
    const queue = testQueue(driver).schedule('slow', '* * * * * *', {
      mode: 'inline',
      handler: (_tick, { signal }) => new Promise(() => signal.addEventListener('abort', () => (aborted = true))), // never settles
    })
    await queue.fireDueSchedules({ timeoutMs: 0 }) // stored; make it due
    await withPgClient(db.url, (c) => c.query(`update pgq.schedules set next_run = now() - interval '1 second', status = 'idle'`))
    const started = performance.now()
    const result = await tick(queue, { timeBudget: 1000 })
    expect(performance.now() - started).toBeLessThan(3000) // before: never
    expect(aborted).toBe(true)
    expect(firingsJson(result.schedules)).toMatchObject([{ entrypoint: 'slow', error: expect.stringMatching(/still running when the time budget/) }])
  })
})

describe('serve (Node)', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await freshDatabase('hono_node')
  })
  afterAll(() => db?.drop())

  it('serves the app next to a continuous worker, and close() stops both and runs onClose', async () => {
    const driver = driverFor(db)
    const queue = testQueue(driver)
    let closedDriver = 0
    const server = await serve({ app: createQueueApi({ queue, token: 't' }), queue, port: 0, signals: [], onClose: async () => {
      closedDriver++
      await driver.end()
    } })
    const res = await fetch(`${server.url}/jobs`, { method: 'POST', headers: { ...bearer('t'), 'content-type': 'application/json' }, body: '{"entrypoint":"ok","payload":null}' })
    const { id } = (await res.json()) as { id: number }
    expect(await queue.waitFor(id, { timeout: '5s' })).toBe('successful')
    const summary = await server.close()
    expect(summary).toMatchObject({ succeeded: 1, stoppedBy: 'signal' })
    expect(await server.closed).toEqual(summary)
    expect(closedDriver).toBe(1)
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow()
  })

  it('refuses unknown options, a bad port or hostname before it starts the worker or listens', async () => {
    const driver = driverFor(db)
    try {
      const queue = testQueue(driver)
      const start = vi.spyOn(queue, 'start')
      const app = createQueueApi({ queue, token: 't' })
      const refusals: [Record<string, unknown>, string][] = [
        [{ prot: 3000 }, 'unknown serve option "prot"; known: app, queue, port, hostname, worker, signals, onClose'],
        // Before, listen() threw a RangeError with the worker already running.
        [{ port: 70_000 }, 'serve port must be an integer from 0 to 65535 (0: a free one), got 70000'],
        [{ port: -1 }, 'serve port must be an integer from 0 to 65535'],
        [{ port: 80.5 }, 'serve port must be an integer from 0 to 65535'],
        [{ port: Number.NaN }, 'serve port must be an integer from 0 to 65535 (0: a free one), got NaN'], // Number(process.env.PORT) unset
        [{ port: '3000' }, 'serve port must be an integer from 0 to 65535 (0: a free one), got "3000"'],
        [{ hostname: 'http://localhost' }, 'serve hostname must be a host name or IP address such as 127.0.0.1, 0.0.0.0 or ::, got "http://localhost"'],
        [{ hostname: '' }, 'serve hostname must be a host name or IP address'],
        [{ hostname: '[::1]' }, 'serve hostname must be a host name or IP address'],
        [{ hostname: 'localhost:3000 ' }, 'serve hostname must be a host name or IP address'],
        [{ app: {} }, 'serve needs { app }'],
        [{ queue: {} }, 'serve needs { queue }'],
        [{ signals: 'SIGTERM' }, 'serve signals must be an array of signal names'],
        [{ onClose: 5 }, 'serve onClose must be a function'],
      ]
      for (const [options, message] of refusals) {
        const served = serve({ app, queue, signals: [], ...options } as never)
        await expect(served, message).rejects.toThrow(ConfigurationError)
        await expect(served, message).rejects.toThrow(message)
      }
      // A port another server holds passes the checks; listen() refuses it before any worker starts.
      const taken = createServer()
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
      try {
        const { port } = taken.address() as AddressInfo
        await expect(serve({ app, queue, port, signals: [] })).rejects.toMatchObject({ code: 'EADDRINUSE' })
      } finally {
        taken.close()
      }
      expect(start).not.toHaveBeenCalled()
    } finally {
      await driver.end()
    }
  })

  it('shuts the server down and rejects `closed` when the worker cannot start', async () => {
    const real = driverFor(db)
    const noListen: PgqDriver = { ...real, listener: () => Promise.reject(new Error('LISTEN is not available here')) }
    const queue = testQueue(noListen)
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    const exitCode = process.exitCode
    try {
      const server = await serve({ app: createQueueApi({ queue, token: 't' }), queue, port: 0, signals: [], onClose: () => real.end() })
      await expect(server.closed).rejects.toThrow(/LISTEN is not available here/)
      await expect(fetch(`${server.url}/healthz`)).rejects.toThrow()
      // A script that only awaited serve() (the README's) ends with 1 and a line saying why, not 0 and nothing.
      expect(process.exitCode).toBe(1)
      expect(errors.mock.calls.map((c) => String(c[0]))).toEqual(['pgq serve: the worker stopped, so the server closed: Error (message withheld: it may quote job data)'])
    } finally {
      process.exitCode = exitCode
      errors.mockRestore()
    }
  })
})
