import * as v from 'valibot'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { ConfigurationError } from '../src/errors.js'
import type { ScheduleFiring, ScheduleTick } from '../src/runtime/schedules.js'
import type { Job } from '../src/types.js'
import { DRIVERS, makeDriver, useQueueDatabase } from './support/queue-database.js'
import { queueOn, sleep } from './support/runtime.js'

// Simulated time: far from the real clock, so only `now` decides what is due.
const at = (iso: string) => new Date(iso)
const T0 = at('2030-01-01T00:00:30Z')
const minute = (k: number) => new Date(Date.UTC(2030, 0, 1, 0, k))

describe.each(DRIVERS)('schedules over %s', (driverName) => {
  const q = useQueueDatabase('schedules', driverName)
  beforeEach(async () => {
    await q.reset()
    await q.sql('truncate pgq.schedules')
  })
  const rows = () =>
    q.sql(`select entrypoint, expression, timezone, status, next_run, last_run from pgq.schedules order by entrypoint, next_run`)

  it('registers schedules by upsert: idempotent, and a stored next_run is kept', async () => {
    const first = queueOn(q.driver).schedule('nightly_report', '0 3 * * *', { timezone: 'America/New_York' }).schedule('nightly_report', '*/15  * * * *')
    await first.fireDueSchedules({ now: T0 })
    await first.fireDueSchedules({ now: T0 })
    await queueOn(q.driver).schedule('nightly_report', '0 3 * * *', { timezone: 'America/New_York' }).fireDueSchedules({ now: at('2030-01-01T02:00:00Z') })
    expect(await rows()).toEqual([
      { entrypoint: 'nightly_report', expression: '*/15 * * * *', timezone: 'UTC', status: 'idle', next_run: at('2030-01-01T00:15:00Z'), last_run: null },
      { entrypoint: 'nightly_report', expression: '0 3 * * *', timezone: 'America/New_York', status: 'idle', next_run: at('2030-01-01T08:00:00Z'), last_run: null },
    ])
  })

  it('reads expressions in their time zone, across DST, and a new time zone moves the tick', async () => {
    const queue = queueOn(q.driver).schedule('winter', '0 3 * * *', { timezone: 'America/New_York' })
    await queue.fireDueSchedules({ now: at('2030-01-15T00:00:00Z') })
    await queueOn(q.driver).schedule('summer', '0 3 * * *', { timezone: 'America/New_York' }).fireDueSchedules({ now: at('2030-07-15T00:00:00Z') })
    expect((await rows()).map((r) => [r.entrypoint, r.next_run])).toEqual([
      ['summer', at('2030-07-15T07:00:00Z')], // EDT, UTC-4
      ['winter', at('2030-01-15T08:00:00Z')], // EST, UTC-5
    ])
    await queueOn(q.driver).schedule('winter', '0 3 * * *', { timezone: 'Europe/London' }).fireDueSchedules({ now: at('2030-01-15T00:00:00Z') })
    expect((await rows())[1]).toMatchObject({ timezone: 'Europe/London', next_run: at('2030-01-15T03:00:00Z') })
  })

  it("a tick whose payload the entrypoint's schema refuses is still enqueued (it fails when it runs): it does not hold back the other ticks", async () => {
    const queue = queueOn(q.driver)
      .entrypoint('sized', { schema: v.object({ width: v.number() }) }, () => undefined)
      .entrypoint('plain', () => undefined)
      .schedule('sized', '* * * * *', { payload: { width: 'wide' } as never })
      .schedule('plain', '* * * * *')
    await queue.fireDueSchedules({ now: T0 })
    await queue.fireDueSchedules({ now: at('2030-01-01T00:01:30Z') })
    expect(await q.sql('select entrypoint, payload from pgq.jobs order by entrypoint')).toEqual([
      { entrypoint: 'plain', payload: null },
      { entrypoint: 'sized', payload: { width: 'wide' } },
    ])
    // An enqueue of the same payload by hand is refused before anything is written.
    await expect(queue.enqueue('sized', { width: 'wide' } as never)).rejects.toMatchObject({ code: 'PGQ_INVALID_JOB', field: 'payload.width' })
  })

  it('takes 5 fields (minutes) and 6 fields (seconds first)', async () => {
    const queue = queueOn(q.driver).schedule('every_10s', '*/10 * * * * *').schedule('every_15m', '*/15 * * * *')
    await queue.fireDueSchedules({ now: at('2030-01-01T00:00:03Z') })
    expect((await rows()).map((r) => r.next_run)).toEqual([at('2030-01-01T00:00:10Z'), at('2030-01-01T00:15:00Z')])
    const fired = await queue.fireDueSchedules({ now: at('2030-01-01T00:00:10Z') })
    expect(fired).toEqual([expect.objectContaining({ entrypoint: 'every_10s', scheduledFor: at('2030-01-01T00:00:10Z') })])
  })

  it('cleanOld deletes the stale schedules of that entrypoint only', async () => {
    const old = queueOn(q.driver).schedule('report', '0 1 * * *').schedule('report', '0 2 * * *').schedule('other', '0 1 * * *')
    await old.fireDueSchedules({ now: T0 })
    await queueOn(q.driver).schedule('report', '0 4 * * *').fireDueSchedules({ now: T0 }) // without cleanOld: kept
    expect(await rows()).toHaveLength(4)
    await queueOn(q.driver).schedule('report', '0 2 * * *', { cleanOld: true }).fireDueSchedules({ now: T0 })
    expect((await rows()).map((r) => `${r.entrypoint} ${r.expression}`)).toEqual(['other 0 1 * * *', 'report 0 2 * * *'])
  })

  it('refuses bad registrations with a ConfigurationError, storing nothing', async () => {
    const queue = queueOn(q.driver)
    const refuse = (f: () => unknown, message: RegExp) => {
      expect(f).toThrow(ConfigurationError)
      expect(f).toThrow(message)
    }
    refuse(() => queue.schedule('x', 'every night'), /invalid cron expression "every night".*5 fields/)
    refuse(() => queue.schedule('x', '61 * * * *'), /invalid cron expression "61 \* \* \* \*": Invalid value for minute: 61/)
    refuse(() => queue.schedule('x', '61 * * * *'), /: Invalid value for minute: 61\. Use 5 fields/)
    refuse(() => queue.schedule('x', '0 0 0 1 1 * 2031'), /invalid cron expression.*5 or 6 parts/)
    refuse(() => queue.schedule('x', '0 0 30 2 *'), /never fires/)
    refuse(() => queue.schedule('x', '0 3 * * *', { timezone: 'Mars/Olympus_Mons' }), /unknown time zone "Mars\/Olympus_Mons"/)
    refuse(() => queue.schedule('x', '0 3 * * *', { mode: 'inline' }), /inline but has no handler/)
    refuse(() => queue.schedule('x', '0 3 * * *', { handler: () => undefined }), /a handler is for mode 'inline'; an enqueued tick runs the entrypoint's handler/)
    refuse(() => queue.schedule('x', '0 3 * * *', { mode: 'enqueue', handler: () => undefined }), /a handler is for mode 'inline'/)
    refuse(() => queue.schedule('x', '0 3 * * *', { mode: 'inline', handler: 'tidy' as never }), /the handler of schedule "x" must be a function/)
    refuse(() => queue.schedule('x', '0 3 * * *', { mode: 'sometimes' } as never), /mode must be 'enqueue' or 'inline'/)
    // Entrypoint options belong to queue.entrypoint(), not to the schedule.
    refuse(() => queue.schedule('x', '0 3 * * *', { concurrencyLimit: 1 } as never), /unknown schedule option "concurrencyLimit"; known: cleanOld, timezone, mode, handler, payload/)
    refuse(() => queue.schedule('x', '0 3 * * *', { maxAttempts: 2 } as never), /unknown schedule option "maxAttempts"/)
    refuse(() => queue.schedule('x', '0 3 * * *', { payload: { n: Number.NaN } }), /schedule payload\.n is NaN/)
    // Names Postgres cannot store failed every fire of every schedule.
    refuse(() => queue.schedule('bad\u0000name', '0 3 * * *'), /schedule entrypoint contains U\+0000/)
    refuse(() => queue.schedule('x\ud800', '0 3 * * *'), /schedule entrypoint is not valid Unicode/)
    refuse(() => queue.schedule('x', '0 3 * * *', { cleanOld: 'yes' as never }), /cleanOld of schedule "x" must be true or false/)
    queue.schedule('x', '0 3 * * *')
    refuse(() => queue.schedule('x', '0  3 * * *'), /registered twice/)
    await queue.fireDueSchedules({ now: T0 })
    expect((await rows()).map((r) => r.expression)).toEqual(['0 3 * * *'])
  })

  it('fires each tick exactly once across 10 concurrent firers, over many ticks', async () => {
    const inlineTicks: string[] = []
    const drivers = Array.from({ length: 10 }, () => makeDriver(driverName, q.url, 2))
    try {
      const firers = drivers.map((driver) =>
        queueOn(driver)
          .schedule('every_minute', '* * * * *', { payload: { from: 'cron' } })
          .schedule('tidy', '* * * * *', { mode: 'inline', handler: (tick: ScheduleTick) => void inlineTicks.push(tick.scheduledFor.toISOString()) }),
      )
      await Promise.all(firers.map((f) => f.fireDueSchedules({ now: T0 }))) // concurrent registration
      const ticks = 25
      const fired: ScheduleFiring[] = []
      for (let k = 1; k <= ticks; k++) {
        // Each firer sees a slightly different clock inside the same minute.
        const results = await Promise.all(firers.map((f, i) => f.fireDueSchedules({ now: new Date(minute(k).getTime() + i * 997) })))
        const thisTick = results.flat()
        expect(thisTick.map((f) => `${f.entrypoint} ${f.scheduledFor.toISOString()}`).sort()).toEqual([
          `every_minute ${minute(k).toISOString()}`,
          `tidy ${minute(k).toISOString()}`,
        ])
        fired.push(...thisTick)
      }
      expect(fired.filter((f) => f.mode === 'enqueue').every((f) => typeof f.jobId === 'number')).toBe(true)
      expect(inlineTicks.sort()).toEqual(Array.from({ length: ticks }, (_, k) => minute(k + 1).toISOString()))
      const jobs = await q.sql(`select dedupe_key, payload from pgq.jobs order by id`)
      expect(jobs).toHaveLength(ticks)
      expect(new Set(jobs.map((j) => j.dedupe_key)).size).toBe(ticks)
      expect(jobs[0]).toEqual({ dedupe_key: `schedule:every_minute:* * * * *:${minute(1).toISOString()}`, payload: { from: 'cron' } })
    } finally {
      await Promise.all(drivers.map((d) => d.end()))
    }
  })

  it('fires ticks missed while nothing ran once, for the oldest, and moves on past now', async () => {
    const queue = queueOn(q.driver).schedule('catch_up', '* * * * *')
    await queue.fireDueSchedules({ now: T0 })
    const now = new Date(minute(10).getTime() + 30_000)
    expect(await queue.fireDueSchedules({ now })).toEqual([
      { entrypoint: 'catch_up', expression: '* * * * *', scheduledFor: minute(1), mode: 'enqueue', jobId: expect.any(Number) },
    ])
    expect(await queue.fireDueSchedules({ now })).toEqual([])
    expect(await rows()).toMatchObject([{ next_run: minute(11), last_run: now }])
    expect(await q.sql('select count(*)::int as n from pgq.jobs')).toEqual([{ n: 1 }])
  })

  it('enqueue mode: a drain worker runs the job, and firing the same tick again after a crash adds no job', async () => {
    const ran: Job<{ kind: string }>[] = []
    // The entrypoint's handler (and options) runs what the schedule enqueues.
    const queue = queueOn(q.driver)
      .entrypoint('hourly', { maxAttempts: 2 }, (job: Job<{ kind: string }>) => void ran.push(job))
      .schedule('hourly', '0 * * * *', { payload: { kind: 'hourly' } })
    await queue.fireDueSchedules({ now: T0 })
    const tick = at('2030-01-01T01:00:00Z')
    const [first] = await queue.fireDueSchedules({ now: tick })
    expect(first).toMatchObject({ mode: 'enqueue', scheduledFor: tick, jobId: expect.any(Number) })
    // A firer that crashed after committing would leave next_run as it was: the tick is claimed again.
    await q.sql(`update pgq.schedules set next_run = $1`, [tick])
    expect(await queue.fireDueSchedules({ now: tick })).toEqual([expect.objectContaining({ scheduledFor: tick, jobId: null })])
    expect(await q.sql('select count(*)::int as n from pgq.jobs')).toEqual([{ n: 1 }])

    expect(await queue.drain({ timeBudget: 5000 })).toMatchObject({ claimed: 1, succeeded: 1 })
    expect(ran).toHaveLength(1)
    expect(ran[0]).toMatchObject({
      id: first!.jobId,
      maxAttempts: 2,
      payload: { kind: 'hourly' },
      headers: { schedule: { expression: '0 * * * *', timezone: 'UTC', scheduledFor: tick.toISOString() } },
    })
  })

  it('inline mode runs the handler in the firer and records the run; a throwing handler is reported', async () => {
    const seen: ScheduleTick[] = []
    const fired: ScheduleFiring[] = []
    const queue = queueOn(q.driver)
      .schedule('ok', '*/5 * * * *', { mode: 'inline', payload: 7, handler: (tick: ScheduleTick) => void seen.push(tick) })
      .schedule('bad', '*/5 * * * *', { mode: 'inline', handler: () => Promise.reject(new Error('nope')) })
    queue.on('schedule:fired', (f) => fired.push(f))
    await queue.fireDueSchedules({ now: T0 })
    const now = at('2030-01-01T00:05:00Z')
    const firings = await queue.fireDueSchedules({ now })
    expect(seen).toEqual([{ entrypoint: 'ok', expression: '*/5 * * * *', scheduledFor: now, payload: 7 }])
    expect(firings.find((f) => f.entrypoint === 'bad')?.error).toMatchObject({ message: 'nope' })
    expect(fired).toHaveLength(2)
    expect(await rows()).toMatchObject([
      { entrypoint: 'bad', status: 'idle', last_run: now },
      { entrypoint: 'ok', status: 'idle', last_run: now },
    ])
    expect(await q.sql('select count(*)::int as n from pgq.jobs')).toEqual([{ n: 0 }])
  })

  it('without a listener, a failed inline handler is a warning naming the schedule, not its message', async () => {
    const queue = queueOn(q.driver).schedule('tidy', '*/5 * * * *', { mode: 'inline', handler: () => Promise.reject(new TypeError('card 4111 refused')) })
    await queue.fireDueSchedules({ now: T0 })
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    try {
      await queue.fireDueSchedules({ now: at('2030-01-01T00:05:00Z') })
      expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([
        `pgq: inline schedule "tidy" (*/5 * * * *) failed for 2030-01-01T00:05:00.000Z: TypeError (listen to 'schedule:fired' for the error)`,
      ])
    } finally {
      warn.mockRestore()
    }
  })

  it("a drain's inline handlers get its budget: their signal aborts at its end, and the drain ends in time", async () => {
    let aborted: unknown
    const queue = queueOn(q.driver)
      .entrypoint('after', () => undefined)
      .schedule('slow', '* * * * * *', {
        mode: 'inline',
        // Ignores its signal for a while, as a slow handler would; never settles by itself.
        handler: (_tick, { signal }) => new Promise(() => signal.addEventListener('abort', () => (aborted = signal.reason))),
      })
    const fired: ScheduleFiring[] = []
    queue.on('schedule:fired', (f) => fired.push(f))
    await queue.fireDueSchedules({ timeoutMs: 0 }) // stored; then make it due
    fired.length = 0
    await q.sql(`update pgq.schedules set next_run = now() - interval '1 second', status = 'idle'`)
    const started = performance.now()
    expect(await queue.drain({ timeBudget: 1500 })).toMatchObject({ claimed: 0 })
    // Before, the drain waited for the handler: 6 s for one of 6 s, forever for this one.
    expect(performance.now() - started).toBeLessThan(3000)
    expect(aborted).toBeInstanceOf(Error)
    expect(fired.map((f) => String((f.error as Error)?.message))).toEqual([expect.stringMatching(/still running when the time budget \(\d+ ms\) ended: its signal was aborted/)])
    const maintained = performance.now()
    await q.sql(`update pgq.schedules set next_run = now() - interval '1 second', status = 'idle'`)
    await queue.maintain({ timeBudget: 1000 })
    expect(performance.now() - maintained).toBeLessThan(3000)
    await expect(queue.maintain({ budget: 1 } as never)).rejects.toThrow(/unknown maintain option "budget"/)
  })

  it('a drain fires due schedules by default, and not with maintenance: false', async () => {
    const ran: string[] = []
    const queue = queueOn(q.driver)
      .entrypoint('due', (job: Job) => void ran.push(job.entrypoint))
      .schedule('due', '0 * * * *')
    await queue.fireDueSchedules() // stored with a real next_run; make it due
    await q.sql(`update pgq.schedules set next_run = now() - interval '1 minute'`)
    expect(await queue.drain({ timeBudget: 5000, maintenance: false })).toMatchObject({ claimed: 0 })
    expect(await q.sql('select count(*)::int as n from pgq.jobs')).toEqual([{ n: 0 }])
    expect(await queue.drain({ timeBudget: 5000 })).toMatchObject({ claimed: 1, succeeded: 1 })
    expect(ran).toEqual(['due'])
  })

  it("the queue's clock decides what is due: a drain fires the tick the clock has reached, with no wait", async () => {
    let now = new Date('2030-06-01T12:00:30Z')
    const ran: Job[] = []
    const queue = queueOn(q.driver, { clock: () => now })
      .entrypoint('hourly', (job: Job) => void ran.push(job))
      .schedule('hourly', '0 * * * *')
    expect(await queue.drain({ timeBudget: 5000 })).toMatchObject({ claimed: 0 }) // stored: next tick 13:00
    expect(await rows()).toMatchObject([{ entrypoint: 'hourly', next_run: at('2030-06-01T13:00:00Z') }])
    now = new Date('2030-06-01T13:00:01Z')
    expect(await queue.drain({ timeBudget: 5000 })).toMatchObject({ claimed: 1, succeeded: 1 })
    expect(ran.map((j) => j.headers?.schedule)).toEqual([{ expression: '0 * * * *', timezone: 'UTC', scheduledFor: '2030-06-01T13:00:00.000Z' }])
    expect(await rows()).toMatchObject([{ next_run: at('2030-06-01T14:00:00Z') }])
  })

  it('a continuous worker fires schedules by itself, each second once, and stops with the worker', async () => {
    const ticks: string[] = []
    const jobsRan: string[] = []
    let twoTicks!: () => void
    let oneJob!: () => void
    const ticked = new Promise<void>((resolve) => (twoTicks = resolve))
    const ran = new Promise<void>((resolve) => (oneJob = resolve))
    const inlineOnly = queueOn(q.driver).schedule('pulse', '* * * * * *', {
      mode: 'inline',
      handler: (t: ScheduleTick) => {
        ticks.push(t.scheduledFor.toISOString())
        if (ticks.length >= 2) twoTicks()
      },
    })
    expect(() => inlineOnly.start({ maintenance: false })).toThrow(/no entrypoints to serve/)
    const enqueuing = queueOn(q.driver)
      .entrypoint('beat', (job: Job) => {
        jobsRan.push(job.entrypoint)
        oneJob()
      })
      .schedule('beat', '* * * * * *')
    const workers = [inlineOnly.start(), enqueuing.start({ pollInterval: 5000 })]
    try {
      await Promise.all([ticked, ran])
    } finally {
      await Promise.all(workers.map((w) => w.stop()))
    }
    expect(ticks.length).toBeGreaterThanOrEqual(2)
    expect(new Set(ticks).size).toBe(ticks.length)
    expect(jobsRan.length).toBeGreaterThanOrEqual(1)
    const after = ticks.length
    await sleep(1100)
    expect(ticks).toHaveLength(after) // stopped with its worker
  })
})
