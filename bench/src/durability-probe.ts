// Enqueue and drain throughput of pgq at each durability level (durable, balanced, volatile),
// on one PostgreSQL: median of interleaved rounds, each on a fresh database.
//
//   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres npx tsx src/durability-probe.ts \
//     [--jobs 50000] [--rounds 3] [--singles 2000] [--switch-rows 1000000] [--server-pid <postmaster pid>]
//
// Per level and round: enqueue --jobs no-op jobs in batches of 1,000 (one connection), then
// drain them with createQueue + drain({ batchSize: 1000, maxConcurrentTasks: 2000 }) (success
// log on, the default); also --singles single enqueues awaited one after another, and the WAL
// each phase wrote. --switch-rows: time to switch a log table of that many rows (the lock
// is held that long). Needs @pgq/core built (npx turbo run build --filter=@pgq/core).
import os from 'node:os'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { core } from './core.mjs'
import { processTreeCpuUs } from './server.ts'

const { createQueue, migrate, nodePostgresDriver, setDurability, readDurability, DURABILITY_LEVELS } = core
type Level = (typeof DURABILITY_LEVELS)[number]

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '50000' },
    rounds: { type: 'string', default: '3' },
    singles: { type: 'string', default: '2000' },
    'switch-rows': { type: 'string', default: '0' },
    // The postmaster's pid, when the server runs here: adds its CPU time per phase (less
    // sensitive than wall-clock throughput to other load on the machine).
    'server-pid': { type: 'string' },
  },
})
const JOBS = Number(values.jobs)
const ROUNDS = Number(values.rounds)
const SINGLES = Number(values.singles)
const SWITCH_ROWS = Number(values['switch-rows'])
const SERVER_PID = values['server-pid'] ? Number(values['server-pid']) : undefined
/** CPU time (µs) of the server and of this process so far. */
const cpu = () => ({ server: SERVER_PID ? (processTreeCpuUs(SERVER_PID) ?? Number.NaN) : Number.NaN, client: process.cpuUsage().user + process.cpuUsage().system })
/** Server and client CPU per 1,000 jobs (ms) since `from`. */
const cpuPer1000 = (from: ReturnType<typeof cpu>, jobs: number) => {
  const now = cpu()
  return { server: (now.server - from.server) / jobs, client: (now.client - from.client) / jobs }
}
const BATCH = 1000
const serverUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres'

const urlFor = (db: string) => {
  const u = new URL(serverUrl)
  u.pathname = `/${db}`
  return u.toString()
}

async function admin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    return await fn(c)
  } finally {
    await c.end()
  }
}

const walLsn = (c: pg.Client) => c.query('select pg_current_wal_lsn() as lsn').then((r) => r.rows[0].lsn as string)
const walBytes = (c: pg.Client, from: string) =>
  c.query('select pg_wal_lsn_diff(pg_current_wal_lsn(), $1)::float8 as n', [from]).then((r) => Number(r.rows[0].n))

interface Sample {
  enqueueBatch: number
  enqueueSingle: number
  drain: number
  walEnqueueMb: number
  walDrainMb: number
  /** ms of CPU per 1,000 jobs. */
  serverCpuEnqueue: number
  serverCpuDrain: number
  clientCpuDrain: number
}

async function measure(level: Level, round: number): Promise<Sample> {
  const db = `pgq_durability_probe_${level}`
  await admin(serverUrl, async (c) => {
    await c.query(`drop database if exists ${db} with (force)`)
    await c.query(`create database ${db}`)
  })
  const url = urlFor(db)
  const control = new pg.Client({ connectionString: url })
  await control.connect()
  const pool = new pg.Pool({ connectionString: url, max: 10 })
  const driver = nodePostgresDriver({ pool })
  try {
    await migrate(control)
    await setDurability(control, level)
    if ((await readDurability(control)) !== level) throw new Error(`level ${level} did not take`)
    const queue = createQueue({ driver }).entrypoint('noop', () => undefined)
    const payloads = Array.from({ length: BATCH }, () => ({ entrypoint: 'noop' as const, payload: {} }))
    // Warm-up: connections, prepared plans, the claim function; then an empty queue again.
    for (let i = 0; i < 50; i++) await queue.enqueue('noop', {})
    await queue.enqueueMany(payloads)
    await queue.drain({ batchSize: BATCH, maxConcurrentTasks: 2 * BATCH, timeBudget: '1m' })

    await control.query('checkpoint')
    let t0 = performance.now()
    for (let i = 0; i < SINGLES; i++) await queue.enqueue('noop', {})
    const enqueueSingle = SINGLES / ((performance.now() - t0) / 1000)
    await control.query(`truncate pgq.jobs`)

    await control.query('checkpoint')
    let lsn = await walLsn(control)
    const cpuEnqueue0 = cpu()
    t0 = performance.now()
    for (let done = 0; done < JOBS; done += BATCH) await queue.enqueueMany(payloads)
    const enqueueBatch = JOBS / ((performance.now() - t0) / 1000)
    const serverCpuEnqueue = cpuPer1000(cpuEnqueue0, JOBS).server
    const walEnqueueMb = (await walBytes(control, lsn)) / 2 ** 20

    await control.query('checkpoint')
    lsn = await walLsn(control)
    const cpuDrain0 = cpu()
    t0 = performance.now()
    const summary = await queue.drain({ batchSize: BATCH, maxConcurrentTasks: 2 * BATCH, timeBudget: '10m' })
    const drain = summary.succeeded / ((performance.now() - t0) / 1000)
    const { server: serverCpuDrain, client: clientCpuDrain } = cpuPer1000(cpuDrain0, JOBS)
    const walDrainMb = (await walBytes(control, lsn)) / 2 ** 20
    if (summary.succeeded !== JOBS) throw new Error(`drained ${summary.succeeded} of ${JOBS}`)
    await queue.close()
    const s = { enqueueBatch, enqueueSingle, drain, walEnqueueMb, walDrainMb, serverCpuEnqueue, serverCpuDrain, clientCpuDrain }
    console.log(
      `round ${round} ${level.padEnd(8)} enqueue ${Math.round(enqueueBatch)} jobs/s (batches), ${Math.round(enqueueSingle)} jobs/s (singles), ` +
        `drain ${Math.round(drain)} jobs/s; WAL ${walEnqueueMb.toFixed(1)} MB enqueue, ${walDrainMb.toFixed(1)} MB drain; CPU ms/1000 jobs: server ${serverCpuEnqueue.toFixed(0)} enqueue, ${serverCpuDrain.toFixed(0)} drain, pgq ${clientCpuDrain.toFixed(0)} drain; load ${os.loadavg()[0]?.toFixed(1)}`,
    )
    return s
  } finally {
    await driver.end()
    await pool.end() // a driver leaves a pool it was given open
    await control.end()
    await admin(serverUrl, (c) => c.query(`drop database if exists ${db} with (force)`))
  }
}

/** How long a switch holds its lock on a log table of `rows` rows, each way, and the WAL it writes. */
async function switchTime(rows: number) {
  const db = 'pgq_durability_probe_switch'
  await admin(serverUrl, async (c) => {
    await c.query(`drop database if exists ${db} with (force)`)
    await c.query(`create database ${db}`)
  })
  try {
    await admin(urlFor(db), async (c) => {
      await migrate(c)
      await c.query(
        `insert into pgq.log (job_id, status, priority, entrypoint, attempts)
         select g, 'successful', 0, 'noop', 1 from generate_series(1, $1::int) g`,
        [rows],
      )
      await c.query('vacuum analyze pgq.log')
      const size = (await c.query(`select pg_size_pretty(pg_total_relation_size('pgq.log')) as s`)).rows[0].s
      for (const level of ['balanced', 'durable'] as const) {
        await c.query('checkpoint')
        const lsn = await walLsn(c)
        const t0 = performance.now()
        await setDurability(c, level)
        const ms = performance.now() - t0
        console.log(`switch to ${level.padEnd(8)} with ${rows} log rows (${size}): ${Math.round(ms)} ms, WAL ${((await walBytes(c, lsn)) / 2 ** 20).toFixed(1)} MB`)
      }
    })
  } finally {
    await admin(serverUrl, (c) => c.query(`drop database if exists ${db} with (force)`))
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2
}

const server = await admin(serverUrl, (c) =>
  c.query(`select version() as v, current_setting('fsync') as f, current_setting('synchronous_commit') as sc, current_setting('shared_buffers') as sb`),
)
const info = server.rows[0]
console.log(`${info.v}; fsync=${info.f}, synchronous_commit=${info.sc}, shared_buffers=${info.sb}; ${os.cpus().length} cores; ${JOBS} jobs, ${ROUNDS} rounds; core ${process.env.PGQ_BENCH_CORE_ENTRY ?? '@pgq/core'}`)
const samples = new Map<Level, Sample[]>(DURABILITY_LEVELS.map((l) => [l, []]))
for (let round = 1; round <= ROUNDS; round++) {
  // Interleaved, and the order rotates so no level always runs first.
  const order = DURABILITY_LEVELS.map((_, i) => DURABILITY_LEVELS[(i + round - 1) % DURABILITY_LEVELS.length] as Level)
  for (const level of order) samples.get(level)?.push(await measure(level, round))
}
console.log('\nmedian of rounds:')
console.log('| level | enqueue, batches of 1,000 (jobs/s) | enqueue, singles (jobs/s) | drain (jobs/s) | WAL enqueue / drain (MB) | server CPU enqueue / drain (ms per 1,000 jobs) |')
console.log('|---|---:|---:|---:|---:|---:|')
for (const [level, xs] of samples) {
  const m = (k: keyof Sample) => median(xs.map((x) => x[k]))
  console.log(
    `| ${level} | ${Math.round(m('enqueueBatch')).toLocaleString('en')} | ${Math.round(m('enqueueSingle')).toLocaleString('en')} | ` +
      `${Math.round(m('drain')).toLocaleString('en')} | ${m('walEnqueueMb').toFixed(0)} / ${m('walDrainMb').toFixed(0)} | ` +
      `${m('serverCpuEnqueue').toFixed(0)} / ${m('serverCpuDrain').toFixed(0)} |`,
  )
}
if (SWITCH_ROWS > 0) await switchTime(SWITCH_ROWS)
