// Scenario 3: a running listener-mode worker (one process); jobs enqueued one after another,
// each waiting until its job has started. Latency: from just before the enqueue call to the
// handler's first line, both read from the same machine clock.
import { ADAPTERS, installSettings, type QueueName } from '../adapters.ts'
import { type Client, openClient, type Producer } from '../clients.ts'
import type { Ctx } from '../context.ts'
import { guarded } from '../guard.ts'
import { exited, spawnWorker, type WorkerMessage, withTimeout } from '../procs.ts'
import { resetStatements, type StatementStat, topStatements } from '../server.ts'
import { max, mean, median, quantile } from '../stats.ts'
import { dropTarget, freshTarget } from '../stores.ts'
import { workerSettings } from './drain.ts'

export interface LatencyStats {
  samples: number
  /** Each round's own p50 / p99 / max, and their medians (what the report and the targets use). */
  rounds: { p50: number; p99: number; max: number }[]
  medianP50: number
  medianP99: number
  /** Over all rounds' samples pooled. */
  p50: number
  p90: number
  p99: number
  max: number
  /** How long the enqueue call itself took (median). */
  enqueueP50: number
  /**
   * Where the time goes (means, ms; from the server's insert and claim timestamps, which have
   * ms precision): enqueue call → insert, insert → claim (NOTIFY, wake-up, claim start),
   * claim → handler start. Absent when the queue does not expose them.
   */
  breakdown?: { toInsert: number; insertToClaim: number; claimToStart: number }
  /** pg_stat_statements while measuring: what the server ran per job (PostgreSQL-backed queues). */
  statementsPerJob: { callsPerJob: number; meanMs: number; query: string }[]
}

export interface LatencyResult {
  byQueue: Record<string, LatencyStats>
}


/**
 * Every queue is measured in `repeat` rounds, interleaved (pgq, graphile-worker, pg-boss,
 * BullMQ..., pgq, ...), each with a fresh database (or flushed redis-server) and worker, and
 * their samples pooled: one round's p50 moves by ±15% with what the machine did just before.
 * pg-boss 12 is woken by LISTEN/NOTIFY (its worker fails if the listener cannot start).
 */
export async function latencyScenario(ctx: Ctx): Promise<LatencyResult> {
  const raw: Record<string, Raw[]> = {}
  const samples = ctx.opts.latencyJobs
  for (let round = 1; round <= ctx.opts.repeat; round++) {
    for (const queue of ctx.opts.queues) {
      const r = await guarded(ctx, 3, queue, () => measure(ctx, queue, samples, round === 1))
      if (!r) continue
      raw[queue] = [...(raw[queue] ?? []), r]
      const s = summarize([r])
      ctx.log(
        `  latency ${round}/${ctx.opts.repeat} ${queue.padEnd(16)} p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms, max ${s.max.toFixed(2)} ms (${samples} jobs)` +
          `; enqueue call p50 ${s.enqueueP50.toFixed(2)} ms` +
          (s.breakdown ? `; means: to insert ${s.breakdown.toInsert.toFixed(2)}, insert→claim ${s.breakdown.insertToClaim.toFixed(2)}, claim→start ${s.breakdown.claimToStart.toFixed(2)} ms` : ''),
      )
      if (round === 1) for (const x of s.statementsPerJob.slice(0, 4)) ctx.log(`    ${x.callsPerJob.toFixed(2)} × ${x.meanMs.toFixed(3)} ms per job: ${x.query.slice(0, 90)}`)
    }
  }
  const byQueue = Object.fromEntries(
    Object.entries(raw).map(([q, rounds]) => {
      const each = rounds.map((r) => summarize([r])).map((x) => ({ p50: x.p50, p99: x.p99, max: x.max }))
      return [q, { ...summarize(rounds), rounds: each, medianP50: median(each.map((x) => x.p50)), medianP99: median(each.map((x) => x.p99)) }]
    }),
  )
  return { byQueue }
}

/** One round's measurements. */
interface Raw {
  latencies: number[]
  enqueueMs: number[]
  parts: [number, number, number][]
  statements: StatementStat[]
}

function summarize(rounds: Raw[]): Omit<LatencyStats, 'rounds' | 'medianP50' | 'medianP99'> {
  const latencies = rounds.flatMap((r) => r.latencies)
  const parts = rounds.flatMap((r) => r.parts)
  const first = rounds[0]!
  return {
    samples: latencies.length,
    p50: median(latencies),
    p90: quantile(latencies, 0.9),
    p99: quantile(latencies, 0.99),
    max: max(latencies),
    enqueueP50: median(rounds.flatMap((r) => r.enqueueMs)),
    statementsPerJob: first.statements.map((x) => ({ callsPerJob: x.calls / first.latencies.length, meanMs: x.meanMs, query: x.query.slice(0, 100) })),
    breakdown: parts.length
      ? {
          toInsert: mean(parts.map((p) => p[0])),
          insertToClaim: mean(parts.map((p) => p[1])),
          claimToStart: mean(parts.map((p) => p[2])),
        }
      : undefined,
  }
}

/** `withStatements`: also read pg_stat_statements (the first round; the summary shows that one). */
async function measure(ctx: Ctx, queue: QueueName, samples: number, withStatements: boolean): Promise<Raw> {
  const adapter = ADAPTERS[queue]
  const dbName = `pgq_bench_${adapter.slug}`
  const url = await freshTarget(ctx, adapter, dbName)
  const client = await openClient(adapter)
  try {
    await client.install(url, installSettings(adapter))
    return await listenAndTime(ctx, queue, url, dbName, client, samples, withStatements && adapter.store === 'postgres')
  } finally {
    await client.close()
    await dropTarget(ctx, adapter, dbName)
  }
}

async function listenAndTime(ctx: Ctx, queue: QueueName, url: string, dbName: string, client: Client, samples: number, withStatements: boolean): Promise<Raw> {
  const worker = spawnWorker(ADAPTERS[queue], { url, mode: 'listen', settings: workerSettings(ctx, queue) }, { log: ctx.log })
  const waiting = new Map<number, (m: WorkerMessage) => void>()
  worker.onStarted((m) => {
    const resolve = waiting.get(m.seq ?? -1)
    waiting.delete(m.seq ?? -1)
    resolve?.(m)
  })
  const startedOf = (seq: number) => new Promise<WorkerMessage>((resolve) => waiting.set(seq, resolve))
  let producer: Producer | undefined
  try {
    producer = await client.producer(url)
    await withTimeout(worker.ready, 120_000, `${queue} listener ready`)
    const latencies: number[] = []
    const enqueueMs: number[] = []
    const parts: [number, number, number][] = []
    const warmup = ctx.opts.smoke ? 3 : 20
    for (let seq = 0; seq < warmup + samples; seq++) {
      const started = startedOf(seq)
      // Both clock reads happen where the producer runs (an anchor's client process included).
      const { t0, t1 } = await producer.enqueueTimed({ seq })
      const m = await withTimeout(started, 30_000, `${queue} job ${seq} to start`)
      if (seq === warmup - 1 && withStatements) await resetStatements(ctx.server)
      if (seq < warmup) continue
      latencies.push(m.at! - t0)
      enqueueMs.push(t1 - t0)
      if (m.insertAt !== undefined && m.claimAt !== undefined) parts.push([m.insertAt - t0, m.claimAt - m.insertAt, m.at! - m.claimAt])
    }
    const statements = withStatements ? await topStatements(ctx.server, dbName, 6) : []
    worker.send({ type: 'stop' })
    await withTimeout(worker.done, 30_000, `${queue} listener stop`).catch(() => undefined)
    await exited(worker)
    return { latencies, enqueueMs, parts, statements }
  } finally {
    worker.kill()
    await producer?.close()
  }
}
