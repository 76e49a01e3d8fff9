// The PostgreSQL floor's worker ('drain' only): `loops` connections, each claiming a batch
// with one UPDATE ... FOR UPDATE SKIP LOCKED and deleting it with one DELETE, until the
// claim comes back empty. Both commit without waiting for the WAL flush, as pgq's do.
import pg from 'pg'
import { config, cpuUs, main, now, peakRssKb, receive, send } from './protocol.mjs'

const claim = {
  name: 'floor_claim',
  text: `update floor.jobs set status = 1
    where id = any(array(select id from floor.jobs where status = 0 order by id limit $1 for update skip locked))
    returning id, payload`,
}
const finish = { name: 'floor_finish', text: 'delete from floor.jobs where id = any($1::bigint[])' }

main(async () => {
  const c = config()
  if (c.mode !== 'drain') throw new Error('the floor only drains')
  const { batchSize, loops } = c.settings
  const clients = await Promise.all(
    Array.from({ length: loops }, async () => {
      const client = new pg.Client({ connectionString: c.url })
      await client.connect()
      await client.query('set synchronous_commit = off')
      return client
    }),
  )
  let processed = 0
  const drain = async (client) => {
    for (;;) {
      const { rows } = await client.query({ ...claim, values: [batchSize] })
      if (rows.length === 0) return
      // The payloads arrive decoded (JSON), as a handler would get them.
      const ids = rows.map((r) => r.id)
      await client.query({ ...finish, values: [ids] })
      processed += ids.length
    }
  }
  await Promise.all(clients.map(drain)) // warm-up on the empty queue: the statements prepared
  await send({ type: 'ready', rssKb: process.memoryUsage().rss / 1024 })
  await receive('go')
  const t0 = now()
  const cpu0 = process.cpuUsage()
  await Promise.all(clients.map(drain))
  const t1 = now()
  await send({ type: 'done', processed, startedAt: t0, finishedAt: t1, peakRssKb: peakRssKb(), cpuUs: cpuUs(cpu0) })
  await Promise.all(clients.map((client) => client.end()))
})
