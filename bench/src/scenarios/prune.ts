// Scenario 7 (pgq alone): retention under load, and the alternative it was chosen over.
//
// Batched deletes (what pgq does): pgq's log gets `pruneRows` log rows of successful jobs,
// 8-10 days old (past the 7-day default). Two workers drain N fresh jobs (success log on,
// pgq's default) alone, and while pgq's own prune() (the function the pruner service and
// `pgq prune` run: batches of 5,000 through log_status_created_idx, one short transaction
// each) deletes those rows; the prune runs only while a drain runs (it waits between batches
// otherwise), at full speed (pace 0: batches back to back) and paced as core's `pace`
// option paces it (after each full batch, wait --prune-pause times as long as the batch
// took; core's default is 3). The bench passes pace 0 to prune() and paces in its own
// executor, so one prune() call serves both variants (and builds without the option).
// Rounds rotate the order of the variants. `pgq prune --pace 0` then deletes what is left
// with nothing else running, and the log's dead tuples and a VACUUM of it are measured.
//
// Time partitioning (the alternative): the same rows in a copy of the log partitioned by day
// (scratch schema bench_part), whose old partitions are detached (CONCURRENTLY) and dropped
// while the same drains run on pgq's tables; a writer inserts into the partitioned parent
// meanwhile (as the finish statement would), and its stalls are timed. Also what the layout
// costs the statements pgq runs on the log: a lookup by job id and the finish's insert.
import { pathToFileURL } from 'node:url'
import pg from 'pg'
import { ADAPTERS, install, prefill } from '../adapters.ts'
import type { Ctx } from '../context.ts'
import { coreFile } from '../core.mjs'
import { runPgq } from '../pgq-cli.ts'
import { settle } from '../server.ts'
import { median, now, quantile } from '../stats.ts'
import { drainOnce, workerSettings } from './drain.ts'

export interface LogTableStats {
  liveTuples: number
  deadTuples: number
  heapMb: number
  totalMb: number
  autovacuums: number
}

export interface PruneScenarioResult {
  oldRows: number
  jobs: number
  workers: number
  rounds: number
  /** Bulk load of the old rows into pgq's log (secondary indexes rebuilt after), ms. */
  fillMs: number
  batched: {
    alone: number[]
    during: number[]
    /** Drains beside the paced prune (empty with --prune-pause 0); `during` is beside the prune at full speed. */
    paced: number[]
    aloneMedian: number
    duringMedian: number
    pacedMedian: number
    /** 1 - during / alone (medians): the drain's loss while the prune runs. */
    drop: number
    pacedDrop: number
    /** The paced prune waits this many times each batch's duration after it. */
    pause: number
    prune: {
      batchSize: number
      /** pgq's prune beside the drains, at full speed (pace 0) and paced. */
      full: PrunePhase
      paced: PrunePhase
      /** Median batch ms of each tenth of the full-speed batches, in order: does a batch get dearer as the dead rows ahead of it grow? */
      batchMsByTenth: number[]
      /** `pgq prune` deleting the rest with nothing else running (wall time of the command). */
      cli: { args: string[]; rows: number; ms: number; rowsPerSec: number; exitCode: number | null; output: string }
    }
    log: { beforePrune: LogTableStats; afterPrune: LogTableStats; afterVacuum: LogTableStats; vacuumMs: number }
  }
  partitioned: {
    rounds: number
    partitions: number
    oldPartitions: number
    /** Load of the old partitions per round (insert, indexes, attach), ms. */
    fillMs: number[]
    alone: number[]
    during: number[]
    aloneMedian: number
    duringMedian: number
    drop: number
    /** Per round: DETACH ... CONCURRENTLY + DROP TABLE of every old partition, ms. */
    dropMs: number[]
    detachMsMax: number
    dropTableMsMax: number
    /** Inserts of 100 rows into the partitioned parent, every ~10 ms during the rounds. */
    writer: { inserts: number; p50Ms: number; maxMsDuringDrop: number; maxMsOtherwise: number }
    /** `select status, attempts from log where job_id = $1 order by id desc limit 1` (the job status lookup). */
    lookup: { n: number; plainMsP50: number; plainMsP95: number; partitionedMsP50: number; partitionedMsP95: number }
    /** Inserts of 1,000 rows (the finish statement's log insert), rows/s, median of batches. */
    insert: { batches: number; plainRowsPerSec: number; partitionedRowsPerSec: number }
  }
}

export interface PrunePhase {
  /** Rows deleted while drains ran, in how long (the prune's running time, ms, pauses included). */
  rows: number
  ms: number
  rowsPerSec: number
  batches: number
  batchMsP50: number
  batchMsP99: number
  batchMsMax: number
}

type PruneFn = (
  db: { query(text: string, values: unknown[]): Promise<{ rows: Record<string, unknown>[] }> },
  schema: string,
  options: { queue: Record<string, number | null>; entrypoints: Map<string, unknown>; batchSize?: number; deadline: number; pace?: number },
) => Promise<{ log: number; more: boolean }>

const BATCH = 5000
const DAY_MS = 86_400_000

class Aborted extends Error {}

/**
 * pgq's prune() on one connection, through an executor that lets a statement start only
 * while the gate is open: open() and close() put the prune's running time exactly around
 * a drain (close waits for the batch in flight). Every statement is timed and counted.
 */
class GatedPrune {
  readonly batches: { ms: number; deleted: number; paced: boolean }[] = []
  runningMs = 0
  rowsWhileOpen = 0
  /** After each full batch, wait this many times as long as it took (0: at once), as core's `pace` does. */
  pause = 0
  readonly result: Promise<unknown>
  #open = false
  #aborted = false
  #openedAt = 0
  #waiters: (() => void)[] = []
  #inflight: Promise<unknown> | undefined

  constructor(client: pg.Client, prune: PruneFn) {
    const db = {
      query: async (text: string, values: unknown[]) => {
        while (!this.#open && !this.#aborted) await new Promise<void>((r) => this.#waiters.push(r))
        if (this.#aborted) throw new Aborted('prune stopped by the bench')
        const t0 = now()
        const p = client.query(text, values)
        this.#inflight = p
        const r = await p.finally(() => (this.#inflight = undefined))
        const deleted = Number(r.rows[0]?.deleted ?? 0)
        const ms = now() - t0
        this.batches.push({ ms, deleted, paced: this.pause > 0 })
        this.rowsWhileOpen += deleted
        if (this.pause > 0 && deleted >= BATCH) await new Promise((resolve) => setTimeout(resolve, ms * this.pause))
        return r
      },
    }
    // The default policy (successful: 7 days), batches of 5,000, no deadline to speak of;
    // pace 0 (ignored by builds without it): the executor paces, when asked to.
    this.result = prune(db, 'pgq', { queue: {}, entrypoints: new Map<string, unknown>(), batchSize: BATCH, deadline: Date.now() + 24 * 3600_000, pace: 0 })
    this.result.catch(() => undefined)
  }

  open() {
    this.#open = true
    this.#openedAt = now()
    for (const w of this.#waiters.splice(0)) w()
  }

  async close() {
    if (!this.#open) return
    this.#open = false
    await this.#inflight?.catch(() => undefined)
    this.runningMs += now() - this.#openedAt
  }

  async abort() {
    this.#aborted = true
    for (const w of this.#waiters.splice(0)) w()
    await this.result.catch((e) => {
      if (!(e instanceof Aborted)) throw e
    })
  }
}

const mb = (bytes: unknown) => Math.round((Number(bytes) / 2 ** 20) * 10) / 10

async function logStats(c: pg.Client, table = 'pgq.log'): Promise<LogTableStats> {
  const { rows } = await c.query(
    `select n_live_tup, n_dead_tup, autovacuum_count, pg_relation_size(relid) as heap, pg_total_relation_size(relid) as total
     from pg_stat_user_tables where relid = $1::regclass`,
    [table],
  )
  const r = rows[0] ?? {}
  return {
    liveTuples: Number(r.n_live_tup),
    deadTuples: Number(r.n_dead_tup),
    heapMb: mb(r.heap),
    totalMb: mb(r.total),
    autovacuums: Number(r.autovacuum_count),
  }
}

/** created of old row g (1..rows): spread evenly over [base, base + 2 days), oldest first, all distinct. */
const createdSql = (g: string) => `$1::timestamptz + ${g} * (interval '2 days' / $2::integer)`

async function fillPgqLog(c: pg.Client, rows: number, base: Date, log: (m: string) => void): Promise<number> {
  // A bulk load: the secondary indexes are dropped and rebuilt (from their own definitions).
  const { rows: indexes } = await c.query<{ indexname: string; indexdef: string }>(
    `select indexname, indexdef from pg_indexes where schemaname = 'pgq' and tablename = 'log' and indexname <> 'log_pkey'`,
  )
  const t0 = now()
  for (const i of indexes) await c.query(`drop index pgq."${i.indexname}"`)
  const chunk = 2_000_000
  for (let lo = 1; lo <= rows; lo += chunk) {
    const hi = Math.min(rows, lo + chunk - 1)
    await c.query(
      `insert into pgq.log (job_id, status, priority, entrypoint, created)
       select g, 'successful', 0, 'noop', ${createdSql('g')} from generate_series(${lo}::bigint, ${hi}::bigint) g`,
      [base, rows],
    )
    if (rows > chunk) log(`  prune: ${hi.toLocaleString('en-US')} of ${rows.toLocaleString('en-US')} old log rows loaded`)
  }
  await c.query(`set maintenance_work_mem = '256MB'`)
  for (const i of indexes) await c.query(i.indexdef)
  await c.query('reset maintenance_work_mem')
  return now() - t0
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
/** A loss (1 - during / alone) as a signed change against the other variant: 0.2 is "-20.0%". */
const change = (drop: number) => `${drop > 0 ? '-' : '+'}${Math.abs(drop * 100).toFixed(1)}%`

export async function pruneScenario(ctx: Ctx): Promise<PruneScenarioResult> {
  const { jobs, workers } = ctx.opts
  const rows = ctx.opts.pruneRows
  const rounds = Math.max(1, ctx.opts.repeat)
  const retention = await import(pathToFileURL(coreFile('queue/retention.js')).href).catch(() => ({}))
  const prune = (retention as { prune?: PruneFn }).prune
  if (typeof prune !== 'function') throw new Error('scenario 7 needs a build of @pgq/core with retention (dist/queue/retention.js exporting prune)')
  const dbName = 'pgq_bench_prune'
  const url = await ctx.server.freshDatabase(dbName)
  await install(ADAPTERS.pgq, url)
  const c = new pg.Client(url)
  await c.connect()
  const pruneClient = new pg.Client(url)
  await pruneClient.connect()
  // Success log on (pgq's default): the drains append to the table being pruned. No
  // maintenance in the workers: the prune runs on the bench's clock only.
  const settings = { ...workerSettings(ctx, 'pgq'), logSuccess: true, maintenance: false }
  const drain = async (hooks: { onGo?: () => void; onDone?: () => Promise<void> } = {}) => {
    const run = await drainOnce(ctx, 'pgq', url, jobs, workers, {
      settings,
      ...hooks,
      prepare: async () => {
        await prefill(ADAPTERS.pgq, url, jobs)
        await c.query('vacuum (analyze) pgq.jobs')
        await c.query('checkpoint')
      },
    })
    return run
  }
  let gated: GatedPrune | undefined
  try {
    const base = new Date(Date.now() - 10 * DAY_MS)
    ctx.log(`  prune: loading ${fmt(rows)} log rows of successful jobs, 8-10 days old`)
    const fillMs = await fillPgqLog(c, rows, base, ctx.log)
    await settle(url)
    ctx.log(`  prune: loaded in ${(fillMs / 1000).toFixed(1)} s; ${rounds} rounds, drains of ${fmt(jobs)} jobs with ${workers} workers (success log on)`)
    const beforePrune = await logStats(c)

    // Batched deletes.
    gated = new GatedPrune(pruneClient, prune)
    const g = gated
    const pause = ctx.opts.prunePause
    const variants = pause > 0 ? (['alone', 'during', 'paced'] as const) : (['alone', 'during'] as const)
    const jobsPerSec: Record<(typeof variants)[number], number[]> = { alone: [], during: [], paced: [] }
    const spent = { during: { rows: 0, ms: 0 }, paced: { rows: 0, ms: 0 } }
    const label = { alone: 'alone                   ', during: 'during full-speed prune ', paced: 'during paced prune      ' }
    for (let round = 1; round <= rounds; round++) {
      const order = variants.map((_, i) => variants[(i + round - 1) % variants.length]!)
      for (const variant of order) {
        const rows0 = g.rowsWhileOpen
        const ms0 = g.runningMs
        g.pause = variant === 'paced' ? pause : 0
        const run = variant === 'alone' ? await drain() : await drain({ onGo: () => g.open(), onDone: () => g.close() })
        jobsPerSec[variant].push(run.jobsPerSec)
        let pruned = ''
        if (variant !== 'alone') {
          spent[variant].rows += g.rowsWhileOpen - rows0
          spent[variant].ms += g.runningMs - ms0
          pruned = `; prune deleted ${fmt(g.rowsWhileOpen - rows0)} rows in ${fmt(g.runningMs - ms0)} ms`
        }
        ctx.log(`  prune round ${round}/${rounds}: drain ${label[variant]} ${fmt(run.jobsPerSec).padStart(7)} jobs/s (${fmt(run.ms)} ms; load ${run.load.join(' ')})${pruned}`)
      }
    }
    await g.abort()
    gated = undefined
    await pruneClient.end()
    const phase = (paced: boolean): PrunePhase => {
      const ms = g.batches.filter((b) => b.deleted > 0 && b.paced === paced).map((b) => b.ms)
      const t = spent[paced ? 'paced' : 'during']
      return {
        rows: t.rows,
        ms: t.ms,
        rowsPerSec: t.rows / (t.ms / 1000),
        batches: ms.length,
        batchMsP50: median(ms),
        batchMsP99: quantile(ms, 0.99),
        batchMsMax: quantile(ms, 1),
      }
    }
    const batchMs = g.batches.filter((b) => b.deleted > 0 && !b.paced).map((b) => b.ms)
    ctx.log(`  prune: pgq prune (full speed) for the remaining ${fmt(rows - g.rowsWhileOpen)} old rows, nothing else running`)
    // At full speed: the rest is a catch-up with nothing else running. A build without --pace
    // refuses the flag (usage error, exit 2) and prunes at full speed anyway.
    let cliArgs = ['prune', '--time-budget', '1h', '--pace', '0']
    let cli = await runPgq(cliArgs, url)
    if (cli.code === 2 && /pace/.test(cli.stderr)) {
      cliArgs = ['prune', '--time-budget', '1h']
      cli = await runPgq(cliArgs, url)
    }
    const cliRows = Number(/deleted (\d+) log rows/.exec(cli.stdout)?.[1] ?? Number.NaN)
    if (cli.code !== 0) throw new Error(`pgq prune exited ${cli.code}: ${cli.stderr || cli.stdout}`)
    const afterPrune = await logStats(c)
    const v0 = now()
    await c.query('vacuum pgq.log')
    const vacuumMs = now() - v0
    await new Promise((r) => setTimeout(r, 200))
    const afterVacuum = await logStats(c)
    const { rows: left } = await c.query(`select count(*)::bigint as n from pgq.log where created < now() - interval '7 days'`)
    if (Number(left[0]?.n) !== 0) throw new Error(`${left[0]?.n} old log rows left after the prune`)
    const { alone, during, paced } = jobsPerSec
    const batched = {
      alone,
      during,
      paced,
      aloneMedian: median(alone),
      duringMedian: median(during),
      pacedMedian: median(paced),
      drop: 1 - median(during) / median(alone),
      pacedDrop: 1 - median(paced) / median(alone),
      pause,
      prune: {
        batchSize: BATCH,
        full: phase(false),
        paced: phase(true),
        batchMsByTenth: Array.from({ length: 10 }, (_, i) => median(batchMs.slice(Math.floor((i * batchMs.length) / 10), Math.floor(((i + 1) * batchMs.length) / 10)))),
        cli: { args: cliArgs, rows: cliRows, ms: cli.ms, rowsPerSec: cliRows / (cli.ms / 1000), exitCode: cli.code, output: cli.stdout.trim() },
      },
      log: { beforePrune, afterPrune, afterVacuum, vacuumMs },
    }
    const f = batched.prune.full
    ctx.log(
      `  prune, batched: drain median ${fmt(batched.aloneMedian)} jobs/s alone, ${fmt(batched.duringMedian)} during the full-speed prune (${change(batched.drop)})` +
        (pause > 0 ? `, ${fmt(batched.pacedMedian)} during the paced prune (${change(batched.pacedDrop)}, ${fmt(batched.prune.paced.rowsPerSec)} rows/s)` : '') +
        `; full-speed prune ${fmt(f.rowsPerSec)} rows/s beside the drains (batch p50 ${f.batchMsP50.toFixed(1)} ms, max ${f.batchMsMax.toFixed(1)} ms), ` +
        `${fmt(batched.prune.cli.rowsPerSec)} rows/s alone (${cliArgs.join(' ')}: ${fmt(cliRows)} rows in ${(cli.ms / 1000).toFixed(1)} s); ` +
        `log dead tuples ${fmt(afterPrune.deadTuples)} after (${afterPrune.autovacuums - beforePrune.autovacuums} autovacuums meanwhile), VACUUM ${fmt(vacuumMs)} ms`,
    )

    const partitioned = await partitionedScenario(ctx, c, url, rows, base, drain)
    return { oldRows: rows, jobs, workers, rounds, fillMs, batched, partitioned }
  } finally {
    await gated?.abort().catch(() => undefined)
    await pruneClient.end().catch(() => undefined)
    await c.end()
    await ctx.server.dropDatabase(dbName)
  }
}

const dayOf = (t: number) => Math.floor(t / DAY_MS) * DAY_MS
const partName = (day: number) => `log_p${new Date(day).toISOString().slice(0, 10).replaceAll('-', '')}`
const iso = (t: number) => new Date(t).toISOString()

async function partitionedScenario(
  ctx: Ctx,
  c: pg.Client,
  url: string,
  rows: number,
  base: Date,
  drain: (hooks?: { onGo?: () => void; onDone?: () => Promise<void> }) => Promise<{ jobsPerSec: number; ms: number; load: number[] }>,
): Promise<PruneScenarioResult['partitioned']> {
  const rounds = Math.max(1, Math.min(3, ctx.opts.repeat))
  const today = dayOf(Date.now())
  const oldDays: number[] = []
  for (let d = dayOf(base.getTime()); d < base.getTime() + 2 * DAY_MS; d += DAY_MS) oldDays.push(d)
  // pgq's log (its key: job_id, id), partitioned by day: the key must include the partition key.
  await c.query('create schema bench_part')
  await c.query(`
    create table bench_part.log (
      id bigint generated always as identity (start with 1000000000000),
      job_id bigint not null,
      status pgq.job_status not null,
      priority smallint not null,
      entrypoint text not null,
      attempts bigint not null default 0,
      created timestamptz not null default now(),
      traceback jsonb,
      primary key (job_id, id, created)
    ) partition by range (created)`)
  // The partitions a 30-day retention keeps (31 days back) and tomorrow's, made ahead.
  const days: number[] = []
  for (let d = today - 31 * DAY_MS; d <= today + DAY_MS; d += DAY_MS) days.push(d)
  for (const d of days) {
    if (oldDays.includes(d)) continue
    await c.query(`create table bench_part.${partName(d)} partition of bench_part.log for values from ('${iso(d)}') to ('${iso(d + DAY_MS)}')`)
  }
  const step = (2 * DAY_MS) / rows
  const loadOld = async () => {
    const t0 = now()
    for (const d of oldDays) {
      const name = `bench_part.${partName(d)}`
      // Loaded apart, indexed, then attached (a CHECK matching the bounds spares ATTACH its scan).
      const lo = Math.max(1, Math.floor((d - base.getTime()) / step) - 1)
      const hi = Math.min(rows, Math.ceil((d + DAY_MS - base.getTime()) / step) + 1)
      if (hi < lo) continue
      await c.query(`create table ${name} (like bench_part.log including defaults)`)
      await c.query(
        `insert into ${name} (id, job_id, status, priority, entrypoint, created)
         select * from (select g, g, 'successful'::pgq.job_status, 0::smallint, 'noop', ${createdSql('g')} as created
                        from generate_series(${lo}::bigint, ${hi}::bigint) g) s
         where created >= '${iso(d)}' and created < '${iso(d + DAY_MS)}'`,
        [base, rows],
      )
      await c.query(`set maintenance_work_mem = '256MB'`)
      await c.query(`alter table ${name} add primary key (job_id, id, created)`)
      await c.query('reset maintenance_work_mem')
      await c.query(`alter table ${name} add constraint bounds check (created >= '${iso(d)}' and created < '${iso(d + DAY_MS)}')`)
      await c.query(`alter table bench_part.log attach partition ${name} for values from ('${iso(d)}') to ('${iso(d + DAY_MS)}')`)
      await c.query(`alter table ${name} drop constraint bounds`)
    }
    await c.query('vacuum (analyze) bench_part.log')
    return now() - t0
  }

  // A writer on the partitioned parent throughout: its inserts stall if a drop locks the parent.
  const writer = new pg.Client(url)
  await writer.connect()
  const writes: { at: number; ms: number }[] = []
  let writing = true
  const writerLoop = (async () => {
    while (writing) {
      const t0 = now()
      await writer.query(`insert into bench_part.log (job_id, status, priority, entrypoint) select g, 'successful', 0, 'noop' from generate_series(1, 100) g`)
      writes.push({ at: t0, ms: now() - t0 })
      await new Promise((r) => setTimeout(r, 10))
    }
  })()
  const fillMs: number[] = []
  const alone: number[] = []
  const during: number[] = []
  const dropMs: number[] = []
  const detachMs: number[] = []
  const dropTableMs: number[] = []
  const dropWindows: [number, number][] = []
  let lookup: PruneScenarioResult['partitioned']['lookup'] | undefined
  let insert: PruneScenarioResult['partitioned']['insert'] | undefined
  try {
    for (let round = 1; round <= rounds; round++) {
      fillMs.push(await loadOld())
      if (round === 1) {
        lookup = await measureLookups(c, rows, ctx.opts.smoke ? 50 : 1000)
        insert = await measureInserts(c, ctx.opts.smoke ? 5 : 30)
      }
      let lastAloneMs = 0
      const order = round % 2 === 1 ? ['alone', 'during'] : ['during', 'alone']
      for (const variant of order) {
        if (variant === 'alone') {
          const run = await drain()
          lastAloneMs = run.ms
          alone.push(run.jobsPerSec)
          ctx.log(`  partitioned round ${round}/${rounds}: drain alone               ${fmt(run.jobsPerSec).padStart(7)} jobs/s (${fmt(run.ms)} ms; load ${run.load.join(' ')})`)
          continue
        }
        let dropping: Promise<void> = Promise.resolve()
        const dropOld = async () => {
          const t0 = now()
          for (const d of oldDays) {
            const name = `bench_part.${partName(d)}`
            const a = now()
            await c.query(`alter table bench_part.log detach partition ${name} concurrently`)
            const b = now()
            await c.query(`drop table ${name}`)
            detachMs.push(b - a)
            dropTableMs.push(now() - b)
          }
          dropWindows.push([t0, now()])
          dropMs.push(now() - t0)
        }
        // In the drain's first third (its length as the previous alone drain's, or 30 ms).
        const delay = Math.max(30, (lastAloneMs || median(alone) || 100) / 3)
        const run = await drain({
          onGo: () => {
            dropping = new Promise<void>((r) => setTimeout(r, delay)).then(dropOld)
          },
          onDone: () => dropping,
        })
        during.push(run.jobsPerSec)
        ctx.log(
          `  partitioned round ${round}/${rounds}: drain during detach + drop ${fmt(run.jobsPerSec).padStart(7)} jobs/s (${fmt(run.ms)} ms; load ${run.load.join(' ')}); ` +
            `${oldDays.length} partitions gone in ${dropMs.at(-1)!.toFixed(1)} ms`,
        )
      }
    }
  } finally {
    writing = false
    await writerLoop.catch(() => undefined)
    await writer.end()
  }
  const inDrop = (w: { at: number; ms: number }) => dropWindows.some(([a, b]) => w.at < b && w.at + w.ms > a)
  const result = {
    rounds,
    partitions: days.length,
    oldPartitions: oldDays.length,
    fillMs,
    alone,
    during,
    aloneMedian: median(alone),
    duringMedian: median(during),
    drop: 1 - median(during) / median(alone),
    dropMs,
    detachMsMax: quantile(detachMs, 1),
    dropTableMsMax: quantile(dropTableMs, 1),
    writer: {
      inserts: writes.length,
      p50Ms: median(writes.map((w) => w.ms)),
      maxMsDuringDrop: quantile(writes.filter(inDrop).map((w) => w.ms), 1),
      maxMsOtherwise: quantile(writes.filter((w) => !inDrop(w)).map((w) => w.ms), 1),
    },
    lookup: lookup!,
    insert: insert!,
  }
  ctx.log(
    `  prune, partitioned: drain median ${fmt(result.aloneMedian)} jobs/s alone, ${fmt(result.duringMedian)} during detach + drop (${change(result.drop)}); ` +
      `drop of ${oldDays.length} partitions (${fmt(rows)} rows) median ${median(dropMs).toFixed(1)} ms; parent insert max ${result.writer.maxMsDuringDrop.toFixed(1)} ms during it vs ${result.writer.maxMsOtherwise.toFixed(1)} ms otherwise; ` +
      `job lookup p50 ${result.lookup.plainMsP50.toFixed(3)} ms plain vs ${result.lookup.partitionedMsP50.toFixed(3)} ms over ${days.length} partitions; ` +
      `insert ${fmt(result.insert.plainRowsPerSec)} vs ${fmt(result.insert.partitionedRowsPerSec)} rows/s`,
  )
  return result
}

/** The job status lookup on both logs, interleaved in blocks, each for a job id that has rows. */
async function measureLookups(c: pg.Client, rows: number, n: number): Promise<PruneScenarioResult['partitioned']['lookup']> {
  const { rows: range } = await c.query('select min(job_id) as lo, max(job_id) as hi from pgq.log')
  const plainLo = Number(range[0]?.lo ?? 1)
  const plainHi = Number(range[0]?.hi ?? 1)
  let seed = 12345
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    return seed / 2 ** 31
  }
  const query = (table: string) => `select status, attempts from ${table} where job_id = $1 order by id desc limit 1`
  const plain: number[] = []
  const part: number[] = []
  for (let i = 0; i < n; i += 50) {
    for (const [table, out, lo, hi] of [['pgq.log', plain, plainLo, plainHi], ['bench_part.log', part, 1, rows]] as const) {
      for (let k = 0; k < 50 && i + k < n; k++) {
        const id = lo + Math.floor(rand() * (hi - lo + 1))
        const t0 = now()
        await c.query(query(table), [id])
        out.push(now() - t0)
      }
    }
  }
  return { n, plainMsP50: median(plain), plainMsP95: quantile(plain, 0.95), partitionedMsP50: median(part), partitionedMsP95: quantile(part, 0.95) }
}

/** 1,000-row inserts into the plain and the partitioned log, interleaved; rows/s, median of batches. */
async function measureInserts(c: pg.Client, batches: number): Promise<PruneScenarioResult['partitioned']['insert']> {
  const rate = { plain: [] as number[], part: [] as number[] }
  for (let i = 0; i < batches; i++) {
    for (const [table, out] of [['pgq.log', rate.plain], ['bench_part.log', rate.part]] as const) {
      const t0 = now()
      await c.query(`insert into ${table} (job_id, status, priority, entrypoint) select g, 'successful', 0, 'noop' from generate_series(1, 1000) g`)
      out.push(1000 / ((now() - t0) / 1000))
    }
  }
  return { batches, plainRowsPerSec: median(rate.plain), partitionedRowsPerSec: median(rate.part) }
}
