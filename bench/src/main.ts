// `npm run bench`: pgq, graphile-worker and pg-boss one after another on one PostgreSQL
// server, same jobs and workers; one table on stdout, JSON + markdown (+ chart) on disk.
import { mkdirSync } from 'node:fs'
import { ADAPTERS, setPgqSetupSql } from './adapters.ts'
import { parseCli, USAGE } from './cli.ts'
import { type Ctx, loadavg, machine } from './context.ts'
import { type Results, writeReport } from './report.ts'
import { backlogScenario } from './scenarios/backlog.ts'
import { drainScenario } from './scenarios/drain.ts'
import { durabilityScenario } from './scenarios/durability.ts'
import { edgeScenario } from './scenarios/edge.ts'
import { enqueueScenario } from './scenarios/enqueue.ts'
import { latencyScenario } from './scenarios/latency.ts'
import { memoryScenario } from './scenarios/memory.ts'
import { pruneScenario } from './scenarios/prune.ts'
import { xminScenario } from './scenarios/xmin.ts'
import { startServer, trackAllStatements } from './server.ts'
import { measureStartup, startupLine } from './startup.ts'

async function main() {
  const opts = parseCli(process.argv.slice(2).filter((a) => a !== '--'))
  if (opts === 'help') {
    console.log(USAGE)
    return
  }
  // The literal `npm run bench -w @pgq/bench --smoke` hands --smoke to npm, not to us.
  if (!opts.smoke && process.env.npm_config_smoke === 'true') return rerunWithSmoke()
  mkdirSync(opts.outDir, { recursive: true })
  setPgqSetupSql(opts.pgqSetupSql)
  const started = Date.now()
  const log = (m: string) => console.error(`[bench ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${m}`)
  log(`jobs ${opts.jobs}, workers ${opts.workers}, scenarios ${opts.scenarios.join(',')}, queues ${opts.queues.join(', ')}${opts.smoke ? ' (smoke)' : ''}`)
  const loadBefore = loadavg()
  const startup = measureStartup()
  log(startupLine(startup))
  const server = await startServer({ databaseUrl: opts.databaseUrl, log })
  const stopServer = () => server.stop().catch(() => undefined)
  process.once('SIGINT', () => void stopServer().then(() => process.exit(130)))
  const ctx: Ctx = { server, opts, log }
  const results: Results = {
    startedAt: new Date(started).toISOString(),
    options: { ...opts, databaseUrl: opts.databaseUrl ? '(external)' : undefined },
    machine: machine(),
    server: { kind: server.kind, settings: server.settings, pgStatStatements: server.pgss, autoExplain: server.autoExplain },
    versions: Object.fromEntries(opts.queues.map((q) => [q, ADAPTERS[q].version])),
    load: { before: loadBefore, after: loadBefore },
    startup,
  }
  try {
    if (opts.trackAll && server.kind !== 'external') await trackAllStatements(server)
    for (const scenario of opts.scenarios) {
      log(`scenario ${scenario} (load ${loadavg().join(' ')})`)
      if (scenario === 1) results.drain = await drainScenario(ctx)
      if (scenario === 2) results.enqueue = await enqueueScenario(ctx)
      if (scenario === 3) results.latency = await latencyScenario(ctx)
      if (scenario === 4) results.backlog = await backlogScenario(ctx)
      if (scenario === 5) results.edge = await edgeScenario(ctx)
      if (scenario === 6) results.memory = await memoryScenario(ctx)
      if (scenario === 7) results.prune = await pruneScenario(ctx)
      if (scenario === 8) results.xmin = await xminScenario(ctx)
      if (scenario === 9) results.durability = await durabilityScenario(ctx)
    }
  } finally {
    results.load.after = loadavg()
    results.durationS = Math.round((Date.now() - started) / 1000)
    await stopServer()
  }
  await writeReport(results, opts.outDir, log)
}

async function rerunWithSmoke() {
  const { spawnSync } = await import('node:child_process')
  const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, ...process.argv.slice(2), '--smoke'], { stdio: 'inherit' })
  process.exitCode = r.status ?? 1
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
