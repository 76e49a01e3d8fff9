// pg-boss's client side (runs on Node 22 with 12.x): schema + queue, send() and insert().
// The queue has `notify: true`, so every insert sends the NOTIFY its LISTEN/NOTIFY workers wake
// on (pgq and graphile-worker notify on every insert too).
import { PgBoss } from 'pg-boss'

export const QUEUE = 'noop'

const quiet = (boss) => {
  boss.on('error', () => undefined)
  return boss
}

export async function install(url) {
  const boss = quiet(new PgBoss({ connectionString: url, max: 1, supervise: false, schedule: false }))
  await boss.start()
  await boss.createQueue(QUEUE, { notify: true })
  await boss.stop({ graceful: false })
}

export async function open(url) {
  const boss = quiet(new PgBoss({ connectionString: url, max: 1, supervise: false, schedule: false, migrate: false }))
  await boss.start()
  return {
    enqueueOne: (payload) => boss.send(QUEUE, payload),
    enqueueBatch: (payloads) => boss.insert(QUEUE, payloads.map((data) => ({ data }))),
    close: () => boss.stop({ graceful: false }),
  }
}
