import { beforeEach, describe, expect, it } from 'vitest'
import { ConfigurationError, SchemaOutdatedError } from '../src/errors.js'
import { DRIVERS, useQueueDatabase } from './support/queue-database.js'
import { countingDriver, queueOn, sleep } from './support/runtime.js'

describe.each(DRIVERS)('drain mode over %s', (driverName) => {
  const q = useQueueDatabase('drain', driverName)
  beforeEach(() => q.reset())

  it('runs every eligible job and returns a summary', async () => {
    const ran: number[] = []
    const queue = queueOn(q.driver)
      .entrypoint('ok', async (job: { payload: { n: number } }) => void ran.push(job.payload.n))
      .entrypoint('bad', { maxAttempts: 3, backoff: { base: 60_000 } }, async () => {
        throw new Error('boom')
      })
      .entrypoint('worse', { maxAttempts: 1 }, () => {
        throw new Error('final')
      })
    await queue.enqueueMany([
      ...Array.from({ length: 30 }, (_, n) => ({ entrypoint: 'ok' as const, payload: { n } })),
      { entrypoint: 'bad', payload: {} },
      { entrypoint: 'worse', payload: {} },
    ])
    await queue.enqueue('ok', { n: 99 }, { delay: 60_000 }) // not eligible
    const summary = await queue.drain({ batchSize: 5, timeBudget: 10_000 })
    expect(summary).toMatchObject({ claimed: 32, succeeded: 30, failed: 1, retried: 1, lost: 0, remaining: 0, stoppedBy: 'empty' })
    expect(ran.sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, n) => n))
    expect(await q.sql(`select entrypoint, status from pgq.jobs order by entrypoint`)).toEqual([
      { entrypoint: 'bad', status: 'queued' },
      { entrypoint: 'ok', status: 'queued' },
      { entrypoint: 'worse', status: 'failed' },
    ])
  })

  it('ends inside its budget and leaves what it cannot finish claimable', async () => {
    const queue = queueOn(q.driver).entrypoint('slow', { estimatedDuration: 300 }, () => sleep(300))
    await queue.enqueueMany(Array.from({ length: 40 }, () => ({ entrypoint: 'slow' as const, payload: null })))
    const budget = 1500
    const started = performance.now()
    const summary = await queue.drain({ batchSize: 2, maxConcurrentTasks: 4, timeBudget: budget })
    const elapsed = performance.now() - started
    expect(elapsed).toBeLessThan(budget)
    expect(summary.stoppedBy).toBe('budget')
    expect(summary.succeeded).toBe(summary.claimed) // nothing claimed was cut off
    expect(summary.claimed).toBeGreaterThan(0)
    expect(summary.remaining).toBe(40 - summary.claimed)
    expect(await q.sql(`select status, count(*)::int as n from pgq.jobs group by status`)).toEqual([{ status: 'queued', n: 40 - summary.claimed }])
  })

  it('learns durations: once a run shows the next would overrun, it stops claiming', async () => {
    const queue = queueOn(q.driver).entrypoint('long', () => sleep(400))
    await queue.enqueueMany(Array.from({ length: 5 }, () => ({ entrypoint: 'long' as const, payload: null })))
    const first = await queue.drain({ timeBudget: 800 })
    expect(first.claimed).toBeLessThanOrEqual(2)
    expect(first.stoppedBy).toBe('budget')
    expect(await q.sql(`select count(*)::int as n from pgq.jobs where status = 'picked'`)).toEqual([{ n: 0 }])
  })

  it('claims in batches: one claim statement per batch', async () => {
    const counting = countingDriver(driverName, q.url)
    try {
      const queue = queueOn(counting.driver, { checkSchema: false }).entrypoint('n', () => undefined)
      await queue.enqueueMany(Array.from({ length: 100 }, () => ({ entrypoint: 'n' as const, payload: null })))
      const summary = await queue.drain({ batchSize: 25, timeBudget: 10_000 })
      expect(summary.succeeded).toBe(100)
      const claims = counting.count(/claim_jobs|for update skip locked/i) // with limits, or without
      const completes = counting.count(/'successful'/)
      expect(claims).toBeGreaterThanOrEqual(5) // 4 full batches, then the empty one
      expect(claims).toBeLessThanOrEqual(12)
      expect(completes).toBeLessThanOrEqual(12) // completions go in batches, not one per job
    } finally {
      await counting.driver.end()
    }
  })

  it('rejects maxConcurrentTasks below 2 × batchSize with a configuration error', () => {
    const queue = queueOn(q.driver).entrypoint('x', () => undefined)
    expect(() => queue.start({ batchSize: 10, maxConcurrentTasks: 15 })).toThrow(ConfigurationError)
    expect(() => queue.start({ batchSize: 10, maxConcurrentTasks: 15 })).toThrow(/at least 20, 2 × batchSize \(10\)/)
    // The default named as one, and a string shown as a string (it read as "(20) ... at least 2 × batchSize (20)").
    expect(() => queue.start({ maxConcurrentTasks: 5 })).toThrow(/\(5\) must be an integer of at least 20, 2 × batchSize \(default 10\).*workerConcurrency/)
    expect(() => queue.start({ maxConcurrentTasks: '20' as never })).toThrow(/maxConcurrentTasks \("20" \(string\)\)/)
    expect(() => queue.start({ batchSize: '10' as never })).toThrow(/batchSize must be an integer from 1 to 10000, got "10" \(string\)/)
    expect(() => queueOn(q.driver).start({})).toThrow(/no entrypoints to serve/)
    expect(() => queue.start({ entrypoints: ['y'] })).toThrow(/no such entrypoint/)
  })

  it('refuses sizes past what a claim takes and durations past what a timer keeps, naming the option', async () => {
    const queue = queueOn(q.driver).entrypoint('x', () => undefined)
    // Past int4, every claim failed (out of range) while the drain reported success.
    expect(() => queue.start({ batchSize: 99_999_999_999_999 })).toThrow(/batchSize must be an integer from 1 to 10000/)
    expect(() => queue.start({ batchSize: 10_000, maxConcurrentTasks: 1e9 })).toThrow(/maxConcurrentTasks must be at most 100000/)
    // A timer over 2^31 - 1 ms fires at once: a 30-day poll would be a 1 ms loop.
    for (const option of ['pollInterval', 'heartbeatInterval', 'flushDelay', 'shutdownTimeout'] as const) {
      expect(() => queue.start({ [option]: '30d' })).toThrow(new RegExp(`${option} must be at most 24 days`))
    }
    await expect(queue.drain({ timeBudget: '30d' })).rejects.toThrow(/timeBudget must be at most 24 days/)
    expect(() => queue.entrypoint('y', { timeout: '30d' }, () => undefined)).toThrow(/timeout must be at most 24 days/)
    // A heartbeat slower than the lease: another worker would rescue and rerun a running job.
    const leased = queueOn(q.driver).entrypoint('x', { leaseTimeout: '5s' }, () => undefined)
    // The default is always under the lease, even a lease shorter than its 50 ms floor.
    expect(await queueOn(q.driver).entrypoint('tiny', { leaseTimeout: 40 }, () => undefined).drain({ timeBudget: 500 })).toMatchObject({ claimed: 0 })
    expect(() => leased.start({ heartbeatInterval: 8000 })).toThrow(/heartbeatInterval \(8000 ms\) must be shorter than the leaseTimeout of every served entrypoint \(x: 5000 ms\)/)
    expect(() => queueOn(q.driver).entrypoint('y', { leaseTimeout: 1e15 }, () => undefined)).toThrow(/leaseTimeout must be at most 100 years/)
    expect(() => queue.start({ signal: 5 as unknown as AbortSignal })).toThrow(/signal must be an AbortSignal/)
    expect(() => queue.start({ listener: { foo: 1 } as never })).toThrow(/unknown start listener option "foo"/)
    // Before, a drain listing one twice retried its failing claim for the whole budget.
    await expect(queue.drain({ entrypoints: ['x', 'x'] })).rejects.toThrow(/entrypoints lists "x" twice/)
    expect(() => queue.start({ entrypoints: 'x' as never })).toThrow(/entrypoints must be an array of entrypoint names/)
    // Past 100 years, PostgreSQL's intervals overflow.
    await expect(queue.failures({ olderThan: '99999999999d' })).rejects.toThrow(/olderThan must be at most 100 years/)
    expect(await q.sql('select count(*)::int as n from pgq.jobs')).toEqual([{ n: 0 }])
  })

  it('counts a run canceled under it as canceled, and one taken over by another worker as lost', async () => {
    let started = () => {}
    const queue = queueOn(q.driver).entrypoint('wait', (_job, ctx) => {
      started()
      return new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)))
    })
    const runOne = async (meddle: (id: number) => Promise<unknown>) => {
      const running = new Promise<void>((resolve) => (started = resolve))
      const id = await queue.enqueue('wait', null)
      const drain = queue.drain({ timeBudget: 10_000, heartbeatInterval: 50 })
      await running
      await meddle(id as number)
      return drain
    }
    // Before, a drain heard of both only from its heartbeat and counted both as lost.
    expect(await runOne((id) => queue.cancel([id]))).toMatchObject({ claimed: 1, canceled: 1, lost: 0, succeeded: 0 })
    const takenOver = (id: number) => q.sql(`update pgq.jobs set worker_id = gen_random_uuid() where id = $1`, [id])
    expect(await runOne(takenOver)).toMatchObject({ claimed: 1, canceled: 0, lost: 1, succeeded: 0 })
  })

  it('counts a run that finished after another worker took its job over as lost: its result was not recorded', async () => {
    let started = () => {}
    let release = () => {}
    const running = new Promise<void>((resolve) => (started = resolve))
    const gate = new Promise<void>((resolve) => (release = resolve))
    const lost: number[] = []
    const queue = queueOn(q.driver).entrypoint('late', async () => {
      started()
      await gate
    })
    queue.on('job:lost', ({ job, reason }) => void (reason === 'not-held' && lost.push(job.id)))
    const id = await queue.enqueue('late', null)
    // No heartbeat before the end: only the finishing statement can find the job gone.
    const drain = queue.drain({ timeBudget: 10_000, heartbeatInterval: '50s' })
    await running
    await q.sql(`update pgq.jobs set worker_id = gen_random_uuid() where id = $1`, [id])
    release()
    // Before, it said succeeded: 1 (and lost: 0) for a result nobody wrote.
    expect(await drain).toMatchObject({ claimed: 1, succeeded: 0, lost: 1, unwritten: 0 })
    expect(lost).toEqual([id])
    expect(await q.sql(`select status::text from pgq.jobs where id = $1`, [id])).toEqual([{ status: 'picked' }])
  })

  it('fails a run still going when its budget runs out (DrainBudgetError): retried or held at once, its run time counted', async () => {
    let aborted = 0
    const queue = queueOn(q.driver)
      .entrypoint('long', { maxAttempts: 2, estimatedDuration: 100 }, (_job, ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => (aborted++, reject(ctx.signal.reason)))))
    const id = await queue.enqueue('long', null)
    // Before, it was left picked: a rescue a lease later, an attempt lost, and a WorkerLost reason.
    expect(await queue.drain({ timeBudget: 1500 })).toMatchObject({ claimed: 1, retried: 1, failed: 0, lost: 0, stoppedBy: 'budget' })
    expect(aborted).toBe(1)
    expect(await q.sql(`select status::text, attempts from pgq.jobs where id = $1`, [id])).toEqual([{ status: 'queued', attempts: 1 }])
    const [attempt] = await queue.history(id as number)
    expect(attempt!.traceback).toMatchObject({ name: 'DrainBudgetError', message: expect.stringMatching(new RegExp(`^job ${id} \\(long\\) was still running when the drain's time budget ran out, after \\d+ ms$`)) })
    const [{ run_ms }] = (await q.sql(`select max(run_ms_max)::float8 as run_ms from pgq.statistics where entrypoint = 'long'`)) as [{ run_ms: number }]
    expect(run_ms).toBeGreaterThan(500)
    // With no attempts left, the next budget's end holds it, saying why.
    await q.sql(`update pgq.jobs set execute_after = now() where id = $1`, [id])
    expect(await queue.drain({ timeBudget: 1500 })).toMatchObject({ claimed: 1, failed: 1 })
    expect(await q.sql(`select status::text from pgq.jobs where id = $1`, [id])).toEqual([{ status: 'failed' }])
  })

  it('writes the other results of a batch when one of them cannot be written, and leaves that job picked for rescue', async () => {
    const queue = queueOn(q.driver).entrypoint('x', () => undefined)
    const ids = (await queue.enqueueMany([1, 2, 3, 4, 5].map((n) => ({ entrypoint: 'x' as const, payload: n })))) as number[]
    const bad = ids[2]!
    // A statement that fails for one result alone (as a bug or a constraint would), not for want of a database.
    await q.sql(`create function pgq.refuse_one() returns trigger language plpgsql as $$
      begin if new.job_id = ${bad} then raise exception 'refused'; end if; return new; end $$`)
    await q.sql('create trigger refuse_one before insert on pgq.log for each row execute function pgq.refuse_one()')
    try {
      const errors: unknown[] = []
      queue.on('worker:error', ({ error }) => void errors.push(error))
      // Before, the batch was retried whole until the budget ended, with every later result merged into it.
      expect(await queue.drain({ timeBudget: 5000 })).toMatchObject({ claimed: 5, succeeded: 4, unwritten: 1 })
      expect((await queue.status(ids)).map((s) => s.status)).toEqual(['successful', 'successful', 'picked', 'successful', 'successful'])
      expect(errors.length).toBeGreaterThanOrEqual(2)
      // A failure another try may get past (57014: a statement canceled) is retried whole, not dropped.
      await q.sql(`create or replace function pgq.refuse_one() returns trigger language plpgsql as $$
        begin raise exception 'canceled' using errcode = '57014'; end $$`)
      await queue.enqueue('x', 6)
      await expect(queue.drain({ timeBudget: 1500 })).rejects.toMatchObject({ code: '57014' })
    } finally {
      await q.sql('drop trigger refuse_one on pgq.log')
      await q.sql('drop function pgq.refuse_one()')
    }
  })

  it('takes a workerId only as a UUID, and runs its jobs under the one given', async () => {
    let seen: string | undefined
    const queue = queueOn(q.driver).entrypoint('x', (_job, ctx) => {
      seen = ctx.workerId
    })
    for (const workerId of ['w-1', 'my-worker-host-1', '', 42 as unknown as string]) {
      expect(() => queue.start({ workerId })).toThrow(ConfigurationError)
      await expect(queue.drain({ workerId })).rejects.toThrow(/workerId must be a UUID/)
    }
    const workerId = crypto.randomUUID().toUpperCase()
    await queue.enqueue('x', null)
    expect(await queue.drain({ workerId, timeBudget: 5000 })).toMatchObject({ claimed: 1, succeeded: 1 })
    expect(seen).toBe(workerId)
  })

  it('ends inside its budget while every claim fails, reports each failure, and loses no job', async () => {
    const queue = queueOn(q.driver).entrypoint('x', () => undefined)
    const claimErrors: unknown[] = []
    queue.on('worker:error', (e) => {
      if (e.during === 'claim') claimErrors.push(e.error)
    })
    const id = await queue.enqueue('x', null)
    // A failure waiting may mend: every claim of a queued job meets a serialization failure.
    await q.sql(`create function pgq.test_refuse_claim() returns trigger language plpgsql as
      $$ begin raise exception 'claims refused by the test' using errcode = '40001'; end $$`)
    await q.sql(`create trigger test_refuse_claim before update on pgq.jobs for each row
      when (old.status = 'queued') execute function pgq.test_refuse_claim()`)
    try {
      const started = performance.now()
      expect(await queue.drain({ timeBudget: 1500 })).toMatchObject({ claimed: 0, stoppedBy: 'budget' })
      // Retries back off 0.2, 0.4, 0.8, 1.6 s: unbounded, the fourth ended the drain after 3.0 s.
      expect(performance.now() - started).toBeLessThan(2500)
      expect(claimErrors.length).toBeGreaterThanOrEqual(2)
    } finally {
      await q.sql('drop trigger test_refuse_claim on pgq.jobs; drop function pgq.test_refuse_claim()')
    }
    expect(await queue.drain({ timeBudget: 5000 })).toMatchObject({ claimed: 1, succeeded: 1 })
    expect(await queue.status([id])).toMatchObject([{ status: 'successful' }])
  })

  it('rejects with SchemaOutdatedError when a claim finds the schema behind it, after writing the jobs it ran', async () => {
    let renamed = false
    // One at a time, so the second claim comes after the rename.
    const queue = queueOn(q.driver).entrypoint('x', { workerConcurrency: 1 }, async () => {
      if (renamed) return
      renamed = true
      await q.sql('alter function pgq.claim_jobs rename to claim_jobs_gone')
    })
    const [first, second] = await queue.enqueueMany([
      { entrypoint: 'x', payload: null },
      { entrypoint: 'x', payload: null },
    ])
    try {
      const started = performance.now()
      await expect(queue.drain({ batchSize: 1, timeBudget: 20_000 })).rejects.toBeInstanceOf(SchemaOutdatedError)
      // At once, not at the end of the budget: waiting does not mend a missing function.
      expect(performance.now() - started).toBeLessThan(10_000)
      expect(await queue.status([first!, second!])).toMatchObject([{ status: 'successful' }, { status: 'queued' }])
    } finally {
      await q.sql('alter function pgq.claim_jobs_gone rename to claim_jobs')
    }
    expect(await queue.drain({ timeBudget: 5000 })).toMatchObject({ claimed: 1, succeeded: 1 })
  })

  it('keeps the traceback of an error whose text PostgreSQL cannot store, and writes the other results with it', async () => {
    const badName = new Error('lone \ud800 surrogate')
    badName.name = 'Parse\u0000Error'
    const queue = queueOn(q.driver)
      .entrypoint('nul', { maxAttempts: 1 }, () => {
        throw new Error('unexpected byte \u0000 in input')
      })
      .entrypoint('surrogate', { maxAttempts: 1 }, () => {
        throw badName
      })
      .entrypoint('fine', () => 'ok')
    const [nul, surrogate, fine] = await queue.enqueueMany([
      { entrypoint: 'nul', payload: null },
      { entrypoint: 'surrogate', payload: null },
      { entrypoint: 'fine', payload: null },
    ])
    // Before, jsonb refused the batch of results (22P05) at every retry: all three stayed picked.
    expect(await queue.drain({ timeBudget: 10_000 })).toMatchObject({ claimed: 3, succeeded: 1, failed: 2, stoppedBy: 'empty' })
    expect((await queue.status([nul!, surrogate!, fine!])).map((s) => s.status)).toEqual(['failed', 'failed', 'successful'])
    const traceback = (await queue.history(nul!)).findLast((e) => e.traceback)?.traceback
    expect(traceback).toMatchObject({ name: 'Error', message: 'unexpected byte \uFFFD in input' })
    expect((await queue.history(surrogate!)).findLast((e) => e.traceback)?.traceback).toMatchObject({ name: 'Parse\uFFFDError', message: 'lone \uFFFD surrogate' })
  })

  it("starts from the last hour's slowest run, unless the whole budget could not hold it", async () => {
    const queue = queueOn(q.driver).entrypoint('quick', () => undefined)
    await queue.enqueueMany(Array.from({ length: 3 }, () => ({ entrypoint: 'quick' as const, payload: null })))
    // One run of 6 s in the last hour, as the statistics keep it.
    await q.sql(`insert into pgq.statistics (bucket, entrypoint, status, priority, count, run_ms_sum, run_ms_max, run_ms_histogram, wait_ms_sum, wait_ms_max, wait_ms_histogram)
      values (date_trunc('minute', now()), 'quick', 'successful', 0, 1, 6000, 6000, '{1}', 0, 0, '{}')`)
    // Before, a 2 s drain claimed nothing for the hour ("0 claimed, stopped by budget, 3 left").
    expect(await queue.drain({ timeBudget: 2000 })).toMatchObject({ claimed: 3, succeeded: 3, remaining: 0 })
    await queue.enqueue('quick', null)
    // A budget that holds the slowest run trusts it, and still claims what fits.
    expect(await queue.drain({ timeBudget: 20_000 })).toMatchObject({ claimed: 1, succeeded: 1 })
  })

  it('says empty, not budget, when the time ran short but nothing was left', async () => {
    const queue = queueOn(q.driver).entrypoint('slowish', () => sleep(600))
    await queue.enqueue('slowish', null)
    // After the one job, 600 ms do not fit in what is left: the drain stops for time, with nothing left.
    expect(await queue.drain({ timeBudget: 1000 })).toMatchObject({ claimed: 1, succeeded: 1, remaining: 0, stoppedBy: 'empty' })
  })

  it('never runs more than maxConcurrentTasks at once', async () => {
    let running = 0
    let peak = 0
    const queue = queueOn(q.driver).entrypoint('busy', async () => {
      peak = Math.max(peak, ++running)
      await sleep(20)
      running--
    })
    await queue.enqueueMany(Array.from({ length: 60 }, () => ({ entrypoint: 'busy' as const, payload: null })))
    const summary = await queue.drain({ batchSize: 4, maxConcurrentTasks: 8, timeBudget: 20_000 })
    expect(summary.succeeded).toBe(60)
    expect(peak).toBeLessThanOrEqual(8)
    expect(peak).toBeGreaterThan(4)
  })

  it('never claims jobs of entrypoints it does not serve', async () => {
    const queue = queueOn(q.driver).entrypoint('mine', () => undefined)
    await q.producer().enqueueMany([
      { entrypoint: 'mine', payload: 1 },
      { entrypoint: 'someone_else', payload: 2 },
    ])
    expect(await queue.drain({ timeBudget: 5000 })).toMatchObject({ claimed: 1, succeeded: 1 })
    expect(await q.sql(`select entrypoint, status from pgq.jobs`)).toEqual([{ entrypoint: 'someone_else', status: 'queued' }])
  })
})
