// What operators look at: overview(), failures() and groupFailures(), schedules() and
// removeSchedules(), jobByDedupeKey(). The CLI, the dashboards and /metrics read these.
import { beforeEach, describe, expect, it } from 'vitest'
import { ConfigurationError } from '../src/errors.js'
import { fingerprintOf, groupFailures } from '../src/queue/failure-groups.js'
import { DRIVERS, useQueueDatabase } from './support/queue-database.js'
import { queueOn } from './support/runtime.js'

function failing(message: string): never {
  throw new TypeError(message)
}

describe.each(DRIVERS)('operations view, over %s', (driverName) => {
  const q = useQueueDatabase('operations', driverName)
  beforeEach(() => q.reset())

  it('counts each entrypoint by state, with the oldest due job and the stored policy', async () => {
    const queue = queueOn(q.driver)
      .entrypoint('mail', () => undefined)
      .entrypoint('broken', { maxAttempts: 1 }, () => failing('bad input'))
      .entrypoint('idle', { concurrencyLimit: 3 }, () => undefined)
    await queue.enqueue('broken', null)
    await queue.drain({ timeBudget: 10_000 })
    await queue.enqueueMany([
      { entrypoint: 'mail', payload: 1, runAt: new Date(Date.now() - 60_000) },
      { entrypoint: 'mail', payload: 2 },
      { entrypoint: 'mail', payload: 3, delay: '1h' },
    ])
    await queue.pause('idle')
    const rows = await queue.overview()
    expect(rows.map((r) => r.entrypoint)).toEqual(['broken', 'idle', 'mail'])
    const [broken, idle, mail] = rows
    expect(broken).toMatchObject({ queued: 0, scheduled: 0, picked: 0, held: 1, oldestQueuedAgeMs: null, paused: false })
    expect(idle).toMatchObject({ queued: 0, held: 0, paused: true, concurrencyLimit: 3 })
    expect(mail).toMatchObject({ queued: 2, scheduled: 1, picked: 0, held: 0, paused: false, concurrencyLimit: null })
    expect(mail!.oldestQueuedAgeMs).toBeGreaterThanOrEqual(59_000)
    expect(mail!.oldestQueuedAgeMs).toBeLessThan(120_000)
  })

  it('lists held and dropped failures newest first with their last traceback, and groups them by fingerprint', async () => {
    const queue = queueOn(q.driver)
      .entrypoint('kept', { maxAttempts: 1 }, (job) => failing(`bad ${job.payload}`))
      .entrypoint('dropped', { maxAttempts: 1, onFailure: 'delete' }, () => {
        throw new RangeError('out of range')
      })
    await queue.enqueueMany([1, 2, 3].map((n) => ({ entrypoint: 'kept', payload: n })))
    await queue.enqueue('dropped', null)
    expect(await queue.drain({ timeBudget: 10_000 })).toMatchObject({ failed: 4 })

    const all = await queue.failures()
    expect(all).toHaveLength(4)
    expect(all.filter((f) => f.held).map((f) => f.entrypoint)).toEqual(['kept', 'kept', 'kept'])
    const dropped = all.find((f) => !f.held)!
    expect(dropped).toMatchObject({ entrypoint: 'dropped', attempts: 1, traceback: { name: 'RangeError', message: 'out of range' } })
    expect(dropped.fingerprint).toMatch(/^RangeError at /)
    for (let i = 1; i < all.length; i++) expect(all[i - 1]!.at.getTime()).toBeGreaterThanOrEqual(all[i]!.at.getTime())

    expect(await queue.failures({ held: false })).toHaveLength(1)
    expect((await queue.failures({ held: true, entrypoints: ['kept'], limit: 2 })).map((f) => f.held)).toEqual([true, true])
    expect(await queue.failures({ olderThan: '1h' })).toEqual([])
    expect(await queue.failures({ newerThan: '1h' })).toHaveLength(4)

    // Three messages, one throw site: one group, and only held jobs can be requeued.
    const groups = groupFailures(all)
    expect(groups.map((g) => [g.name, g.count, g.heldJobIds.length])).toEqual([
      ['TypeError', 3, 3],
      ['RangeError', 1, 0],
    ])
    expect(await queue.requeue(groups[0]!.heldJobIds)).toHaveLength(3)
    expect(await queue.failures({ held: true })).toEqual([])
  })

  it('refuses a bad failures query, naming the field', async () => {
    const queue = queueOn(q.driver)
    await expect(queue.failures({ limit: 0 })).rejects.toThrow(ConfigurationError)
    await expect(queue.failures({ limit: 5000 })).rejects.toThrow(/limit must be an integer from 1 to 1000/)
    await expect(queue.failures({ olderThan: 'soon' })).rejects.toThrow(/olderThan must be a duration/)
    await expect(queue.failures({ entrypoints: 'mail' as never })).rejects.toThrow(/entrypoints must be an array/)
  })

  it('lists schedules with their next and last run, and removes them', async () => {
    const at = new Date('2030-01-01T00:00:00Z')
    const queue = queueOn(q.driver, { clock: () => at })
      .schedule('report', '0 3 * * *', { timezone: 'Europe/Paris' })
      .schedule('report', '*/5 * * * *')
      .schedule('sweep', '0 * * * *')
    await queue.fireDueSchedules({ now: at })
    const listed = await queue.schedules()
    expect(listed.map((s) => [s.entrypoint, s.expression, s.timezone])).toEqual([
      ['report', '*/5 * * * *', 'UTC'],
      ['report', '0 3 * * *', 'Europe/Paris'],
      ['sweep', '0 * * * *', 'UTC'],
    ])
    expect(listed[0]!.nextRun.toISOString()).toBe('2030-01-01T00:05:00.000Z')
    // Next runs in 2030 are not overdue by the database's clock; none has fired yet.
    expect(listed.every((s) => !s.overdue && s.lastRun === null)).toBe(true)

    // The expression as written in the code, spaces and all: stored normalised, matched normalised.
    expect(await queue.removeSchedules('report', ' 0  3 * * *')).toBe(1)
    expect(await queue.removeSchedules('report')).toBe(1)
    expect(await queue.removeSchedules('nothing')).toBe(0)
    expect((await queue.schedules()).map((s) => s.entrypoint)).toEqual(['sweep'])
  })

  it('finds the live job holding a dedupe key', async () => {
    const queue = queueOn(q.driver).entrypoint('sync', () => undefined)
    const id = await queue.enqueue('sync', { user: 1 }, { dedupeKey: 'user-1' })
    expect(await queue.jobByDedupeKey('user-1')).toMatchObject({ id, entrypoint: 'sync', dedupeKey: 'user-1', status: 'queued' })
    await queue.drain({ timeBudget: 10_000 })
    expect(await queue.jobByDedupeKey('user-1')).toBeNull()
    await expect(queue.jobByDedupeKey('')).rejects.toThrow(/dedupeKey must be a string of 1 to 512 characters/)
  })
})

describe('failure fingerprints', () => {
  it('take the name and the top frame, not the message', () => {
    const stack = (m: string) => `TypeError: ${m}\n    at handler (/app/jobs.js:12:5)\n    at run (/app/pgq.js:1:1)`
    const tb = (m: string) => ({ name: 'TypeError', message: m, stack: stack(m), attempt: 1, workerId: 'w', entrypoint: 'e' })
    expect(fingerprintOf(tb('user 1'))).toBe('TypeError at handler (/app/jobs.js:12:5)')
    expect(fingerprintOf(tb('user 2'))).toBe(fingerprintOf(tb('user 1')))
    expect(fingerprintOf({ ...tb('x'), stack: null })).toBe('TypeError')
    expect(fingerprintOf(null)).toBe('unknown error')
  })
})
