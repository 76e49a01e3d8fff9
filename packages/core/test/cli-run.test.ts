// `pgq run <module>`: the real binary runs a worker on the queue a fixture module exports, in
// both modes, against a real database.
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { pgqCli, type RunningCli, startPgqCli } from './support/pgq-cli.js'
import { useQueueDatabase } from './support/queue-database.js'

const f = useQueueDatabase('cli_run', 'node-postgres')
// Module paths are given relative to the working directory, as a user would.
const CORE = fileURLToPath(new URL('..', import.meta.url))
const FACTORY = 'test/fixtures/cli-worker-factory.mjs'
const INSTANCE = 'test/fixtures/cli-worker-instance.mjs'
const run = (args: string[], env: Record<string, string> = {}) => pgqCli(['run', ...args], { cwd: CORE, env })

describe('pgq run', () => {
  const running: RunningCli[] = []
  afterEach(async () => {
    for (const r of running.splice(0)) r.child.kill('SIGKILL')
    await f.reset()
  })

  it('--mode drain runs the due jobs once, prints the summary and exits 0', async () => {
    const producer = f.producer()
    const ids = [await producer.enqueue('greet', 1), await producer.enqueue('greet', 2), await producer.enqueue('greet', 3)]
    const result = await run([FACTORY, '--mode', 'drain', '--batch-size', '2', '--json', '--database-url', f.url])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ claimed: 3, succeeded: 3, failed: 0, stoppedBy: 'empty', remaining: 0 })
    expect(result.stderr).toBe('')
    expect((await producer.status(ids)).map((s) => s.status)).toEqual(['successful', 'successful', 'successful'])
  })

  it('--async-commit off makes every worker write wait for the WAL flush; a value other than on or off exits 2', async () => {
    const producer = f.producer()
    await producer.enqueue('greet', 1)
    const marked = { CLI_FIXTURE_MARK_ASYNC: '1' }
    const asDefault = await run([FACTORY, '--mode', 'drain', '--database-url', f.url], marked)
    expect(asDefault.code).toBe(0)
    expect(asDefault.stderr).toContain('fixture: an asynchronous commit')
    await producer.enqueue('greet', 2)
    const durable = await run([FACTORY, '--mode', 'drain', '--async-commit', 'off', '--json', '--database-url', f.url], marked)
    expect(durable).toMatchObject({ code: 0, stderr: '' })
    expect(JSON.parse(durable.stdout)).toMatchObject({ claimed: 1, succeeded: 1, unwritten: 0 })
    const refused = await run([FACTORY, '--mode', 'drain', '--async-commit', 'maybe', '--database-url', f.url])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/--async-commit/)
  })

  it('--mode drain reports each job that fails for good on stderr, without its payload', async () => {
    const id = await f.producer().enqueue('greet', { secret: 's3cr3t' })
    const result = await run([FACTORY, '--mode', 'drain', '--database-url', f.url], { CLI_FIXTURE_FAIL: '1' })
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^pgq run: drained: 1 claimed, 0 succeeded, 1 failed, 0 retried, 0 lost, 0 canceled in \d+ ms \(nothing left to claim, 0 left\)\n$/)
    expect(result.stderr).toContain(`pgq run: job ${id} (greet) failed for good, held: TypeError: greeting ${id} refused\n`)
    expect(result.stderr).not.toContain('s3cr3t')
    expect((await f.producer().status([id]))[0]!.status).toBe('failed')
  })

  it('continuous mode processes jobs as they come and stops gracefully on SIGTERM, finishing the running job', async () => {
    const worker = startPgqCli(['run', INSTANCE, '--json', '--poll-interval', '200ms', '--shutdown-timeout', '20s'], { cwd: CORE, env: { DATABASE_URL: f.url, CLI_FIXTURE_SLEEP_MS: '1000' } })
    running.push(worker)
    await worker.waitFor(/^pgq run: worker \S+ started, serving greet/m)
    const producer = f.producer()
    const first = await producer.enqueue('greet', null)
    expect(await producer.waitFor(first, { timeout: 20_000 })).toBe('successful')

    const second = await producer.enqueue('greet', null)
    // No event says a job started: poll until it runs (its handler takes a second).
    await expect.poll(async () => (await producer.status([second]))[0]!.status, { timeout: 10_000, interval: 20 }).toBe('picked')
    worker.child.kill('SIGTERM')
    expect(await worker.exit).toBe(0)
    expect((await producer.status([second]))[0]!.status).toBe('successful')
    expect(JSON.parse(worker.stdout())).toMatchObject({ claimed: 2, succeeded: 2, lost: 0, stoppedBy: 'signal' })
  })

  it('--mode drain stops claiming on SIGTERM, and a second signal exits at once, leaving the running job to rescue', async () => {
    const producer = f.producer()
    const id = await producer.enqueue('greet', null)
    const worker = startPgqCli(['run', INSTANCE, '--mode', 'drain', '--time-budget', '60s'], { cwd: CORE, env: { DATABASE_URL: f.url, CLI_FIXTURE_SLEEP_MS: '30000' } })
    running.push(worker)
    await expect.poll(async () => (await producer.status([id]))[0]!.status, { timeout: 10_000, interval: 20 }).toBe('picked')
    worker.child.kill('SIGTERM')
    await worker.waitFor(/^pgq run: stopping: no more claims; running jobs finish/m)
    const forced = performance.now()
    worker.child.kill('SIGTERM')
    expect(await worker.exit).toBe(1)
    expect(performance.now() - forced).toBeLessThan(10_000) // not the 30 s the job takes
    expect((await producer.status([id]))[0]!.status).toBe('picked')
  })

  it('refuses a bad invocation with exit 2 before any job is claimed', async () => {
    const id = await f.producer().enqueue('greet', null)
    const cases: [string[], RegExp][] = [
      [[], /^pgq: pass the module path\n$/],
      [['nope.mjs'], /^pgq: no module at nope\.mjs \(resolved to .*\/nope\.mjs\)\n$/],
      [['test/fixtures/cli-no-queue.mjs'], /exports no queue \(it has neither a default nor a `queue` export\)/],
      [[FACTORY, '--mode', 'sometimes'], /--mode must be continuous or drain, got "sometimes"/],
      [[FACTORY, '--batch-size', '0', '--database-url', f.url], /--batch-size must be an integer >= 1, got "0"/],
      [[FACTORY, '--poll-interval', 'often', '--database-url', f.url], /--poll-interval must be a duration/],
      [[FACTORY, '--mode', 'drain', '--shutdown-timeout', '5s'], /--shutdown-timeout is for --mode continuous/],
      [[FACTORY, '--mode', 'drain', '--batch-size', '10', '--max-concurrent-tasks', '5', '--database-url', f.url], /--max-concurrent-tasks \(5\) must be an integer of at least 20, 2 × --batch-size \(10\)/],
      [[FACTORY, '--mode', 'drain', '--entrypoint', 'nope', '--database-url', f.url], /cannot serve "nope": no such entrypoint is registered/],
      [[INSTANCE, '--database-url', f.url], /exports a queue with its own driver; --database-url and --schema are only passed to a module that exports a function/],
    ]
    for (const [args, reason] of cases) {
      // The instance module makes its driver from $DATABASE_URL as it loads.
      const result = await run(args, args[0] === INSTANCE ? { DATABASE_URL: f.url } : {})
      expect(result.code, args.join(' ')).toBe(2)
      expect(result.stderr, args.join(' ')).toMatch(reason)
      expect(result.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1)
      expect(result.stdout, args.join(' ')).toBe('')
    }
    // Without it, the module's own driver refuses the unset URL as it is made, not at a login.
    const unset = await run([INSTANCE])
    expect(unset.code).toBe(1)
    expect(unset.stderr).toMatch(/could not load .*cli-worker-instance\.mjs: connectionString must be a postgres:\/\/ URL, got undefined \(is DATABASE_URL set\?\)/)
    expect(await f.producer().status([id])).toMatchObject([{ status: 'queued', attempts: 0 }])
  })
})
