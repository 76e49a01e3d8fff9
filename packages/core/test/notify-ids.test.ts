import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventsChannel } from '../src/schema/schema-name.js'
import { parseNotification } from '../src/queue/notify-events.js'
import { useQueueDatabase } from './support/queue-database.js'

// notify_ids (drizzle/0011) is the one writer of 'done' and 'cancel' events: the payloads
// are read raw here, as any process listening on the channel gets them.
describe('notify_ids', () => {
  const q = useQueueDatabase('notify-ids', 'node-postgres')
  let client: pg.Client
  const payloads: string[] = []
  let marker: (() => void) | undefined
  beforeAll(async () => {
    client = new pg.Client({ connectionString: q.url })
    await client.connect()
    client.on('notification', (n) => {
      if (n.payload === '{"type":"ping","id":"end"}') marker?.()
      else payloads.push(n.payload ?? '')
    })
    await client.query(`listen "${eventsChannel('pgq')}"`)
  })
  afterAll(() => client.end())

  /** The payloads `statement` sends, up to a marker sent after it. */
  async function sent(statement: string): Promise<string[]> {
    payloads.length = 0
    const ended = new Promise<void>((resolve) => (marker = resolve))
    await q.sql(statement)
    await q.sql(`select pg_notify($1, '{"type":"ping","id":"end"}')`, [eventsChannel('pgq')])
    await ended
    return [...payloads]
  }

  it('sends the ids in order, in chunks of 300, with the status when given', async () => {
    const got = await sent(`select pgq.notify_ids('done', array(select g from generate_series(1, 601) g)::bigint[], 'successful')`)
    const events = got.map((p) => parseNotification(p))
    expect(events.map((e) => (e?.type === 'done' ? [e.ids.length, e.status] : e))).toEqual([
      [300, 'successful'],
      [300, 'successful'],
      [1, 'successful'],
    ])
    expect(events.flatMap((e) => (e?.type === 'done' ? e.ids : []))).toEqual(Array.from({ length: 601 }, (_, n) => n + 1))
    expect(JSON.parse(got[2]!)).toEqual({ type: 'done', ids: [601], status: 'successful' })
  })

  it('leaves out the status when none is given, and sends nothing for no ids', async () => {
    expect((await sent(`select pgq.notify_ids('cancel', '{5,6}'::bigint[])`)).map((p) => JSON.parse(p))).toEqual([{ type: 'cancel', ids: [5, 6] }])
    expect(await sent(`select pgq.notify_ids('cancel', '{}'::bigint[])`)).toEqual([])
    expect(await sent(`select pgq.notify_ids('done', null::bigint[], 'successful')`)).toEqual([])
  })

  it('keeps 300 of the longest ids under NOTIFY’s 8000 bytes', async () => {
    const got = await sent(`select pgq.notify_ids('done', array(select 9223372036854775807 - g from generate_series(0, 300) g), 'successful')`)
    expect(got.map((p) => JSON.parse(p).ids.length)).toEqual([300, 1])
    expect(Math.max(...got.map((p) => Buffer.byteLength(p)))).toBeLessThan(8000)
  })
})
