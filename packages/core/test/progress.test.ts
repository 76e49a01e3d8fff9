// Job progress: ctx.progress() is kept in memory and written by the next heartbeat (the
// latest value per job, one statement for all), announced with a 'progress' event, and read
// by status(), job() and waitFor's onProgress, through LISTEN or through the poll.
import { beforeEach, describe, expect, it } from 'vitest'
import type { PgqDriver } from '../src/driver/driver.js'
import { startListener } from '../src/queue/listener.js'
import type { QueueNotification } from '../src/queue/notify-events.js'
import { InvalidProgressError } from '../src/runtime/job-output.js'
import type { JobContext } from '../src/runtime/entrypoints.js'
import type { Json } from '../src/types.js'
import { DRIVERS, useQueueDatabase } from './support/queue-database.js'
import { countingDriver, queueOn } from './support/runtime.js'

/** A promise and its resolve, for a handler to wait on the test (and the test on the handler). */
function gate<T = void>() {
  let open!: (value: T) => void
  const opened = new Promise<T>((resolve) => (open = resolve))
  return { open, opened }
}

/** Resolves with the first value `onProgress` sees that passes `test`. */
function progressWatcher() {
  const seen: Json[] = []
  const waits: { test: (v: Json) => boolean; resolve: () => void }[] = []
  return {
    seen,
    onProgress: (value: Json) => {
      seen.push(value)
      for (const w of waits.filter((w) => w.test(value))) {
        waits.splice(waits.indexOf(w), 1)
        w.resolve()
      }
    },
    until: (test: (v: Json) => boolean) => new Promise<void>((resolve) => (seen.some(test) ? resolve() : waits.push({ test, resolve }))),
  }
}

const PROGRESS_WRITE = /progress = coalesce/

describe.each(DRIVERS)('job progress over %s', (driverName) => {
  const q = useQueueDatabase('progress', driverName)
  beforeEach(() => q.reset())

  it('writes 100 ctx.progress() calls of one run in a few heartbeats, visible through status() and job() while it runs, and to onProgress', async () => {
    const counting = countingDriver(driverName, q.url)
    const waiting = queueOn(q.driver, { waitPollInterval: '60s' }) // woken by the 'progress' event, not the poll
    const release = gate()
    try {
      const queue = queueOn(counting.driver).entrypoint('steps', async (_job, ctx: JobContext) => {
        for (let i = 1; i <= 100; i++) {
          ctx.progress({ done: i, of: 100 })
          if (i % 10 === 0) await new Promise((r) => setImmediate(r))
        }
        await release.opened
        return 'finished'
      })
      const id = await queue.enqueue('steps', null)
      const watcher = progressWatcher()
      const finished = waiting.waitFor(id, { timeout: 20_000, onProgress: watcher.onProgress })
      const handle = queue.start({ heartbeatInterval: 50, pollInterval: 100 })
      await watcher.until((v) => (v as { done: number }).done === 100)
      // At most a few writes, however many calls: the latest value per beat.
      const writes = counting.count(PROGRESS_WRITE)
      expect(writes).toBeGreaterThanOrEqual(1)
      expect(writes).toBeLessThanOrEqual(3)
      expect(await waiting.status([id])).toEqual([{ id, status: 'picked', attempts: 1, inQueue: true, result: null, progress: { done: 100, of: 100 } }])
      expect((await waiting.job(id))?.progress).toEqual({ done: 100, of: 100 })
      // Values arrive in order, each once, the last one last.
      const dones = watcher.seen.map((v) => (v as { done: number }).done)
      expect(dones).toEqual([...new Set(dones)].sort((a, b) => a - b))
      expect(dones.at(-1)).toBe(100)
      // Heartbeats go on, but the unchanged value is not written again.
      const beatsBefore = counting.count(/set heartbeat = now\(\)/)
      await expect.poll(() => counting.count(/set heartbeat = now\(\)/), { timeout: 5000, interval: 20 }).toBeGreaterThanOrEqual(beatsBefore + 2)
      expect(counting.count(PROGRESS_WRITE)).toBe(writes)
      release.open()
      expect(await finished).toBe('successful')
      await handle.stop()
      expect(await waiting.status([id])).toMatchObject([{ status: 'successful', result: 'finished', progress: null }])
    } finally {
      release.open()
      await waiting.close()
      await counting.driver.end()
    }
  })

  it('reaches onProgress through the poll when the waiter cannot LISTEN (as behind a transaction pooler)', async () => {
    const noListen: PgqDriver = { ...q.driver, listener: () => Promise.reject(new Error('LISTEN is not available here')) }
    const waiting = queueOn(noListen, { waitPollInterval: 50 })
    const step = { a: gate(), b: gate() }
    const queue = queueOn(q.driver).entrypoint('two_steps', async (_job, ctx: JobContext) => {
      ctx.progress('a')
      await step.a.opened
      ctx.progress('b')
      await step.b.opened
    })
    const id = await queue.enqueue('two_steps', null)
    const watcher = progressWatcher()
    const finished = waiting.waitFor(id, { timeout: 20_000, onProgress: watcher.onProgress })
    const handle = queue.start({ heartbeatInterval: 50, pollInterval: 100 })
    try {
      await watcher.until((v) => v === 'a')
      step.a.open()
      await watcher.until((v) => v === 'b')
      step.b.open()
      expect(await finished).toBe('successful')
      expect(watcher.seen).toEqual(['a', 'b'])
    } finally {
      step.a.open()
      step.b.open()
      await handle.stop()
      await waiting.close()
    }
  })

  it('a drain writes the last progress of a job its budget cut short, without waiting for a heartbeat', async () => {
    const reported = gate()
    const never = gate()
    const queue = queueOn(q.driver).entrypoint('stuck', async (_job, ctx: JobContext) => {
      ctx.progress(1)
      ctx.progress(42)
      reported.open()
      await never.opened // ignores its signal: failed at the end of the drain's budget
    })
    const id = await queue.enqueue('stuck', null)
    try {
      const draining = queue.drain({ timeBudget: 1500, heartbeatInterval: '50s' })
      await reported.opened
      expect(await q.sql('select progress from pgq.jobs where id = $1', [id])).toEqual([{ progress: null }]) // not written yet
      expect(await draining).toMatchObject({ claimed: 1, succeeded: 0, failed: 1 })
      expect(await queue.status([id])).toEqual([{ id, status: 'failed', attempts: 1, inQueue: true, result: null, progress: 42 }])
    } finally {
      never.open()
    }
  })

  it('refuses a progress value that is not small JSON with InvalidProgressError naming the field, and records nothing', async () => {
    const counting = countingDriver(driverName, q.url)
    try {
      const queue = queueOn(counting.driver).entrypoint('bad_progress', (_job, ctx: JobContext) => {
        const refused = []
        for (const value of [Number.NaN, { step: undefined }, { at: new Date() }, { blob: 'SECRET'.repeat(1000) }, undefined]) {
          try {
            ctx.progress(value as Json)
            refused.push(null)
          } catch (error) {
            refused.push({ type: (error as Error).constructor.name, code: (error as InvalidProgressError).code, field: (error as InvalidProgressError).field, message: (error as Error).message })
          }
        }
        return refused
      })
      const id = await queue.enqueue('bad_progress', null)
      expect(await queue.drain({ timeBudget: 10_000, heartbeatInterval: 50 })).toMatchObject({ succeeded: 1 })
      const { result } = await queue.waitForResult(id, { timeout: 5000 })
      const refused = result as { type: string; code: string; field: string; message: string }[]
      expect(refused.map((r) => [r.type, r.code, r.field])).toEqual(
        ['progress', 'progress.step', 'progress.at', 'progress', 'progress'].map((field) => [InvalidProgressError.name, 'PGQ_INVALID_PROGRESS', field]),
      )
      expect(refused[3]!.message).toMatch(/progress is 6\d\d\d bytes of JSON, more than 4096 \(MAX_PROGRESS_BYTES\)/)
      for (const r of refused) expect(r.message).not.toContain('SECRET')
      expect(counting.count(PROGRESS_WRITE)).toBe(0)
    } finally {
      await counting.driver.end()
    }
  })

  it('the heartbeat statement writes progress only for jobs this worker holds, and sends one bounded event naming them', async () => {
    const events: QueueNotification[] = []
    const arrived = gate()
    const listener = await startListener({
      driver: q.driver,
      channel: 'pgq_events',
      onNotification: (n) => {
        if (n.type !== 'progress') return
        events.push(n)
        if (events.flatMap((e) => (e.type === 'progress' ? e.ids : [])).length >= 400) arrived.open()
      },
    })
    try {
      const producer = q.producer()
      const ids = await producer.enqueueMany(Array.from({ length: 401 }, (_, n) => ({ entrypoint: 'beat', payload: n })))
      const worker = q.consumer()
      const claimed = (await worker.claim(400, [{ name: 'beat', cap: 400, retryAfterMs: 0 }])).map((j) => j.id)
      const other = ids.find((id) => !claimed.includes(id))!
      // A plain beat writes no progress and sends nothing.
      expect((await worker.heartbeat(claimed)).sort((a, b) => a - b)).toEqual([...claimed].sort((a, b) => a - b))
      const progress = new Map(claimed.map((id, n) => [id, JSON.stringify({ n })]))
      progress.set(other, '"not mine"')
      const held = await worker.heartbeat([...claimed, other], progress)
      expect(held.sort((a, b) => a - b)).toEqual([...claimed].sort((a, b) => a - b))
      await arrived.opened
      // 400 ids in events of at most 300 (notify_ids): each well under NOTIFY's 8000 bytes.
      expect(events.map((e) => (e.type === 'progress' ? e.ids.length : 0))).toEqual([300, 100])
      expect(events.flatMap((e) => (e.type === 'progress' ? e.ids : [])).sort((a, b) => a - b)).toEqual([...claimed].sort((a, b) => a - b))
      const rows = await q.sql('select id::int, progress from pgq.jobs order by id')
      const expected = [...claimed.map((id, n) => ({ id, progress: { n } as Json | null })), { id: other, progress: null }]
      expect(rows).toEqual(expected.sort((a, b) => a.id - b.id))
    } finally {
      await listener.close()
    }
  })
})
