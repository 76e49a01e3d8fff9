// Scenario 5 (pgq alone): what pgq costs on the edge path: Neon's WebSocket driver →
// pgq's ws-proxy → a counting TCP relay → PostgreSQL. Counts round trips (Sync/Query
// messages on the wire), statements (pg_stat_statements) and connections per enqueue and
// per drained job, and times Workers-style drain invocations: fresh connection, claim,
// run, complete, close, for batches of 1, 10 and 100.

import pg from 'pg'
import { configureNeonForLocalProxy } from '../../../packages/core/test/support/neon-local-proxy.ts'
import { startWsProxy } from '../../../packages/core/src/proxy/ws-proxy.ts'
import { ADAPTERS, install } from '../adapters.ts'
import type { Ctx } from '../context.ts'
import { core } from '../core.mjs'
import { neonServerlessDriver } from '@pgq/core/neon-serverless'
import { type RelayCounts, startPgRelay } from '../pg-relay.ts'
import { resetStatements, statementCalls } from '../server.ts'
import { median } from '../stats.ts'

const { createProducer, createQueue } = core

export interface EdgeInvocation {
  batch: number
  /** Entrypoint option estimatedDuration given (else the drain learns it: one job first). */
  estimated: boolean
  /** The Neon Pool's max connections (10 is the driver's default). */
  poolMax: number
  wallMsP50: number
  wallMsMin: number
  roundTrips: number
  statements: number
  connections: number
  roundTripsPerJob: number
  statementsPerJob: number
  /** Where the time went (last repetition, ms from the start): first byte reached the relay, first statement sent, last statement sent, connection closed. */
  timeline: { firstConnect: number; firstTrip: number; lastTrip: number; lastClose: number; total: number }
}

export interface EdgeResult {
  enqueue: {
    /** The first enqueue of a fresh producer: connection, schema check and insert. */
    firstRoundTrips: number
    firstStatements: number
    firstWallMs: number
    roundTripsPerEnqueue: number
    statementsPerEnqueue: number
    wallMsP50: number
  }
  invocations: EdgeInvocation[]
  path: string
}

function timeline(c: RelayCounts, total: number): EdgeInvocation['timeline'] {
  const at = (what: string) => c.events.filter((e) => e.what === what).map((e) => e.at)
  const r = (n: number | undefined) => Math.round((n ?? Number.NaN) * 10) / 10
  return {
    firstConnect: r(Math.min(...at('open'))),
    firstTrip: r(Math.min(...at('trip'))),
    lastTrip: r(Math.max(...at('trip'))),
    lastClose: r(Math.max(...at('close'))),
    total: r(total),
  }
}

export async function edgeScenario(ctx: Ctx): Promise<EdgeResult> {
  const dbName = 'pgq_bench_edge'
  const directUrl = await ctx.server.freshDatabase(dbName)
  await install(ADAPTERS.pgq, directUrl)
  const relay = await startPgRelay({ host: ctx.server.host, port: ctx.server.port })
  const proxy = await startWsProxy({ allow: [{ host: '127.0.0.1', port: relay.port }] })
  configureNeonForLocalProxy(proxy.port)
  const viaProxy = new URL(directUrl)
  viaProxy.hostname = '127.0.0.1'
  viaProxy.port = String(relay.port)
  const edgeUrl = viaProxy.toString()
  const direct = new pg.Client(directUrl)
  await direct.connect()
  const measure = async <T>(fn: () => Promise<T>) => {
    relay.reset()
    await resetStatements(ctx.server)
    const t0 = performance.now()
    const value = await fn()
    const ms = performance.now() - t0
    // Connections close asynchronously after end(): give the relay a moment to see them.
    await new Promise((r) => setTimeout(r, 20))
    const counts: RelayCounts = relay.counts()
    for (const e of counts.events) e.at -= t0
    const statements = await statementCalls(ctx.server, dbName)
    return { value, ms, counts, statements }
  }
  try {
    // Enqueue: one producer, one pooled connection.
    const driver = neonServerlessDriver({ connectionString: edgeUrl, max: 1 })
    const producer = createProducer({ driver })
    const first = await measure(() => producer.enqueue('noop', {}))
    const k = ctx.opts.smoke ? 20 : 200
    const walls: number[] = []
    const many = await measure(async () => {
      for (let i = 0; i < k; i++) {
        const t0 = performance.now()
        await producer.enqueue('noop', {})
        walls.push(performance.now() - t0)
      }
    })
    await driver.end()
    const enqueue = {
      firstRoundTrips: first.counts.roundTrips,
      firstStatements: first.statements,
      firstWallMs: first.ms,
      roundTripsPerEnqueue: many.counts.roundTrips / k,
      statementsPerEnqueue: many.statements / k,
      wallMsP50: median(walls),
    }
    ctx.log(
      `  edge enqueue: ${enqueue.roundTripsPerEnqueue.toFixed(2)} round trips and ${enqueue.statementsPerEnqueue.toFixed(2)} statements per enqueue ` +
        `(first one ${enqueue.firstRoundTrips}), p50 ${enqueue.wallMsP50.toFixed(2)} ms`,
    )
    await direct.query('delete from pgq.jobs')

    const invocations: EdgeInvocation[] = []
    // Defaults, then tuned through public options: a duration estimate (the drain claims the
    // whole batch at once instead of one job first), a one-connection pool (claim and result
    // writes then share a connection instead of opening a second one) and checkSchema: false
    // (no schema-version query per invocation; the deploy runs `pgq upgrade` instead).
    for (const { estimated, poolMax } of [
      { estimated: false, poolMax: undefined },
      { estimated: true, poolMax: 1 },
    ]) {
      for (const batch of [1, 10, 100]) {
        const walls: number[] = []
        let last: Awaited<ReturnType<typeof measure>> | undefined
        for (let rep = 0; rep < ctx.opts.edgeReps + 1; rep++) {
          await direct.query(`insert into pgq.jobs (entrypoint, payload) select 'noop', '{}'::jsonb from generate_series(1, ${batch})`)
          const run = await measure(async () => {
            const driver = neonServerlessDriver({ connectionString: edgeUrl, max: poolMax })
            const queue = createQueue({ driver, checkSchema: !estimated }).entrypoint('noop', estimated ? { estimatedDuration: 1 } : {}, () => undefined)
            const summary = await queue.drain({ batchSize: batch, timeBudget: '25s' })
            await queue.close()
            await driver.end()
            return summary
          })
          if (run.value.succeeded !== batch) throw new Error(`edge drain of ${batch}: ${run.value.succeeded} succeeded`)
          if (rep === 0) continue // the first pays for module warm-up
          walls.push(run.ms)
          last = run
        }
        const c = last!.counts
        const inv: EdgeInvocation = {
          batch,
          estimated,
          poolMax: poolMax ?? 10,
          wallMsP50: median(walls),
          wallMsMin: Math.min(...walls),
          roundTrips: c.roundTrips,
          statements: last!.statements,
          connections: c.connections,
          roundTripsPerJob: c.roundTrips / batch,
          statementsPerJob: last!.statements / batch,
          timeline: timeline(c, last!.ms),
        }
        invocations.push(inv)
        ctx.log(
          `  edge drain batch ${String(batch).padStart(3)}${estimated ? ' (tuned: estimatedDuration, pool max 1, checkSchema false)' : ''}: ${inv.wallMsP50.toFixed(1)} ms, ` +
            `${inv.roundTrips} round trips, ${inv.statements} statements, ${inv.connections} connection(s); ` +
            `timeline ms: connect ${inv.timeline.firstConnect}, first statement ${inv.timeline.firstTrip}, last ${inv.timeline.lastTrip}, closed ${inv.timeline.lastClose}`,
        )
      }
    }
    return { enqueue, invocations, path: 'Neon serverless driver → ws-proxy (WebSocket) → TCP relay (counts) → PostgreSQL' }
  } finally {
    await direct.end()
    await proxy.close()
    await relay.close()
    await ctx.server.dropDatabase(dbName)
  }
}
