import { beforeEach, describe, expect, it } from 'vitest'
import { type ClaimEntrypoint, createConsumer } from '../src/queue/consumer.js'
import { DRIVERS, makeDriver, useQueueDatabase } from './support/queue-database.js'

const open = (name: string, cap = 100): ClaimEntrypoint => ({ name, cap, retryAfterMs: 0 })
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe.each(DRIVERS)('rate limits over %s', (driverName) => {
  const q = useQueueDatabase('rate_limit', driverName)
  beforeEach(async () => {
    await q.reset()
    await q.sql('truncate pgq.rate_limits')
  })

  /** Stores the entrypoint's fleet policy (what every claim obeys) and returns a claim of it. */
  const rated = async (
    name: string,
    requestsPerSecond: number,
    more: Partial<ClaimEntrypoint> & { concurrencyLimit?: number; maxAttempts?: number } = {},
  ): Promise<ClaimEntrypoint> => {
    const { concurrencyLimit, maxAttempts, ...claim } = more
    await q.fleet().setEntrypointPolicy(name, { requestsPerSecond, concurrencyLimit, maxAttempts })
    return { ...open(name), ...claim }
  }
  const enqueue = (entrypoint: string, n: number) =>
    q.producer().enqueueMany(Array.from({ length: n }, (_, i) => ({ entrypoint, payload: i })))
  /** Moves a bucket's last refill into the past: the same as waiting, on the database's clock. */
  const age = (entrypoint: string, seconds: number) =>
    q.sql(`update pgq.rate_limits set refreshed_at = refreshed_at - $2 * interval '1 second' where entrypoint = $1`, [entrypoint, seconds])
  const tokens = async (entrypoint: string) => {
    const [row] = await q.sql('select tokens from pgq.rate_limits where entrypoint = $1', [entrypoint])
    return row?.tokens as number | undefined
  }

  it('holds a rate globally: 4 claimers on their own connections take no more than burst + rate × elapsed', async () => {
    const RATE = 5
    const BURST = 5
    await enqueue('rated', 100)
    const spec = await rated('rated', RATE, { cap: 10 })
    const drivers = Array.from({ length: 4 }, () => makeDriver(driverName, q.url, 2))
    const [start] = await q.sql('select clock_timestamp()::text as t')
    const deadline = Date.now() + 2500
    const seen: number[] = []
    try {
      await Promise.all(
        drivers.map(async (driver) => {
          const w = createConsumer({ driver, workerId: crypto.randomUUID(), checkSchema: false })
          while (Date.now() < deadline) {
            seen.push(...(await w.claim(10, [spec])).map((j) => j.id))
            await sleep(5)
          }
        }),
      )
    } finally {
      await Promise.all(drivers.map((d) => d.end()))
    }
    // Elapsed on the database's clock, from before the first claim to after the last one.
    const [row] = await q.sql('select extract(epoch from clock_timestamp() - $1::timestamptz)::float8 as s', [start!.t])
    const allowed = BURST + RATE * (row!.s as number)
    expect(seen.length).toBeLessThanOrEqual(allowed + 1)
    expect(seen.length).toBeGreaterThan(allowed / 2) // the limit bound, not a claim that takes nothing
    expect(new Set(seen).size).toBe(seen.length)
    expect(await q.sql(`select count(*)::int as n from pgq.jobs where status = 'picked'`)).toEqual([{ n: seen.length }])
  })

  it('a fractional rate allows one job, then none until two seconds have passed', async () => {
    await enqueue('slow', 5)
    const spec = await rated('slow', 0.5)
    const w = q.consumer()
    expect(await w.claim(10, [spec])).toHaveLength(1) // a new bucket is full: its burst is one token
    expect(await w.claim(10, [spec])).toHaveLength(0)
    await age('slow', 1.5)
    expect(await w.claim(10, [spec])).toHaveLength(0) // 0.75 tokens
    await age('slow', 0.5)
    expect(await w.claim(10, [spec])).toHaveLength(1) // the fractions added up to one
    expect(await w.claim(10, [spec])).toHaveLength(0)
    await age('slow', 60)
    expect(await w.claim(10, [spec])).toHaveLength(1) // a long wait still refills only to the burst
    expect(await w.claim(10, [spec])).toHaveLength(0)
  })

  it('charges the bucket for the jobs claimed, not for the room it had', async () => {
    await enqueue('few', 2)
    expect(await q.consumer().claim(10, [await rated('few', 5)])).toHaveLength(2)
    const left = await tokens('few')
    expect(left).toBeGreaterThanOrEqual(3)
    expect(left).toBeLessThan(3.5)
  })

  it('combines with a concurrency limit: whichever is tighter binds', async () => {
    await enqueue('both', 10)
    const spec = await rated('both', 2, { concurrencyLimit: 3 })
    const w = q.consumer()
    const first = await w.claim(10, [spec])
    expect(first).toHaveLength(2) // the burst of 2, under the limit of 3
    await age('both', 10) // refills to the burst, no further
    const second = await w.claim(10, [spec])
    expect(second).toHaveLength(1) // the concurrency limit: 3 running
    expect(await tokens('both')).toBeGreaterThanOrEqual(1) // charged one, not two
    expect(await tokens('both')).toBeLessThan(1.5)
    await w.complete([first[0]!.id])
    expect(await w.claim(10, [spec])).toHaveLength(1) // one token, one free slot
    await w.complete([first[1]!.id, second[0]!.id])
    expect(await w.claim(10, [spec])).toHaveLength(0) // two free slots, no token
    await age('both', 1)
    expect(await w.claim(10, [spec])).toHaveLength(2)
    expect(await q.sql(`select count(*)::int as n from pgq.jobs where status = 'picked'`)).toEqual([{ n: 3 }])
  })

  it('rescues stale jobs with an empty bucket, and charges them as debt', async () => {
    const spec = await rated('rescue', 1, { retryAfterMs: 1000, maxAttempts: 5 })
    await enqueue('rescue', 3)
    const dead = q.consumer()
    const held = await dead.claim(10, [spec])
    expect(held).toHaveLength(1)
    await q.sql(`update pgq.jobs set heartbeat = now() - interval '5 seconds' where status = 'picked'`)
    const rescuer = q.consumer()
    const rescued = await rescuer.claim(10, [spec])
    expect(rescued.map((j) => j.id)).toEqual([held[0]!.id]) // no token was needed, and no fresh job came along
    expect(await tokens('rescue')).toBeLessThan(-0.5)
    await age('rescue', 1)
    expect(await rescuer.claim(10, [spec])).toHaveLength(0) // the debt is repaid first
    await age('rescue', 1)
    expect(await rescuer.claim(10, [spec])).toHaveLength(1)
  })

  it('entrypoints without a rate never touch the rate_limits table', async () => {
    await enqueue('free', 3)
    await enqueue('metered', 3)
    const w = q.consumer()
    expect(await w.claim(10, [open('free'), await rated('free2', 0)])).toHaveLength(3)
    expect(await q.sql('select * from pgq.rate_limits')).toEqual([])
    expect(await w.claim(10, [open('other'), await rated('free', 0), await rated('metered', 1)])).toHaveLength(1)
    expect(await q.sql('select entrypoint from pgq.rate_limits')).toEqual([{ entrypoint: 'metered' }])
    // A bucket left by an earlier policy is ignored, and left alone, once the rate is off.
    await q.sql(`update pgq.rate_limits set tokens = 0.25, refreshed_at = '2000-01-01T00:00:00Z'`)
    await rated('metered', 0)
    expect(await w.claim(10, [open('metered')])).toHaveLength(2)
    expect(await q.sql(`select tokens, refreshed_at = '2000-01-01T00:00:00Z' as same from pgq.rate_limits`)).toEqual([
      { tokens: 0.25, same: true },
    ])
  })

  it('has exactly one claim_jobs, the one reading the stored policy', async () => {
    expect(await q.sql(`select pronargs from pg_proc where proname = 'claim_jobs' and pronamespace = 'pgq'::regnamespace`)).toEqual([
      { pronargs: 5 },
    ])
  })

  it('rejects a negative or non-finite rate, and an entrypoint listed twice, with a configuration error', async () => {
    const w = q.consumer()
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(rated('a', bad)).rejects.toThrow(/requestsPerSecond must be a finite number >= 0/)
    }
    expect(await q.sql('select * from pgq.entrypoints')).toEqual([]) // nothing was stored
    // A second listing would otherwise take what the per-worker cap of the first may not.
    await expect(w.claim(1, [await rated('a', 1), open('a')])).rejects.toThrow(/"a" is listed twice/)
  })
})
