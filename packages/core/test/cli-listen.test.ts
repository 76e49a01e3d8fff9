// `pgq listen`: the real binary tails the queue's events while jobs are enqueued and finished.
import { afterEach, describe, expect, it } from 'vitest'
import { pgqCli, type RunningCli, startPgqCli } from './support/pgq-cli.js'
import { useQueueDatabase } from './support/queue-database.js'
import { queueOn } from './support/runtime.js'

const f = useQueueDatabase('cli_listen', 'node-postgres')

describe('pgq listen', () => {
  const running: RunningCli[] = []
  afterEach(async () => {
    for (const r of running.splice(0)) r.child.kill('SIGKILL')
    await f.reset()
  })
  function listen(...args: string[]) {
    const cli = startPgqCli(['listen', '--database-url', f.url, ...args])
    running.push(cli)
    return cli
  }

  it('prints an insert and a done event as JSON lines, and exits 0 on SIGTERM', async () => {
    const cli = listen('--json')
    await cli.waitFor(/^pgq listen: listening on pgq_events/m)
    const queue = queueOn(f.driver).entrypoint('greet', async () => undefined)
    const id = await queue.enqueue('greet', { secret: 's3cr3t' })
    await cli.waitFor(/"type":"insert"/, 'stdout')
    expect(await queue.drain()).toMatchObject({ succeeded: 1 })
    await cli.waitFor(/"type":"done"/, 'stdout')
    cli.child.kill('SIGTERM')
    expect(await cli.exit).toBe(0)

    const events = cli.stdout().trim().split('\n').map((l) => JSON.parse(l) as { at: string; type: string })
    expect(events.map(({ at: _, ...e }) => e)).toEqual([
      { type: 'insert', entrypoints: { greet: 1 } },
      { type: 'done', ids: [id], status: 'successful' },
    ])
    for (const e of events) expect(Date.parse(e.at)).toBeGreaterThan(Date.now() - 60_000)
    expect(cli.stdout()).not.toContain('s3cr3t')
    expect(cli.stderr()).toMatch(/pgq listen: SIGTERM: stopped\n$/)
  })

  it('prints one readable line per event, a cancel too, and exits 0 on SIGINT', async () => {
    const cli = listen()
    await cli.waitFor(/^pgq listen: listening on pgq_events/m)
    const producer = f.producer()
    const id = await producer.enqueue('greet', null)
    await producer.cancel([id])
    await cli.waitFor(/ cancel /, 'stdout')
    cli.child.kill('SIGINT')
    expect(await cli.exit).toBe(0)
    expect(cli.stdout()).toMatch(new RegExp(`^\\S+Z  insert  greet=1\\n\\S+Z  cancel  ${id}\\n$`))
  })

  it('refuses extra arguments and a schema without pgq instead of waiting in silence', async () => {
    const extra = await pgqCli(['listen', 'greet', '--database-url', f.url])
    expect(extra).toMatchObject({ code: 2, stdout: '' })
    expect(extra.stderr).toMatch(/Unexpected argument 'greet'.*\(see pgq listen --help\)/)
    const missing = await pgqCli(['listen', '--schema', 'not_installed', '--database-url', f.url])
    expect(missing).toMatchObject({ code: 1, stdout: '' })
    expect(missing.stderr).toMatch(/^pgq: .*Run `pgq upgrade`.*\n$/)
  })
})
