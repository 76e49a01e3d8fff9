import os from 'node:os'
import { DEFAULT_SETTINGS, type QueueName, type QueueSettings } from './adapters.ts'
import type { RedisPersistence, RedisServer } from './redis-server.ts'
import type { BenchServer } from './server.ts'

export interface BenchOptions {
  jobs: number
  workers: number
  scenarios: number[]
  queues: QueueName[]
  smoke: boolean
  /** Drain repetitions per queue (interleaved: pgq, graphile-worker, pg-boss, BullMQ..., pgq, ...). */
  repeat: number
  singleEnqueues: number
  latencyJobs: number
  backlogLevels: number[]
  backlogLogRows: number
  backlogReps: number
  edgeReps: number
  /** Scenario 7: old log rows to prune. */
  pruneRows: number
  /** Scenario 7: the paced prune waits this many times each batch's duration after it (0: no paced variant). */
  prunePause: number
  /** Scenario 8: how long the other session holds its transaction open, s. */
  holdSeconds: number
  databaseUrl?: string
  outDir: string
  /** Write a CPU profile of each pgq worker (drain) into outDir/profiles. */
  cpuProf: boolean
  /** pg_stat_statements.track = all during drains (statements inside functions too). */
  trackAll: boolean
  settings: QueueSettings
  /** SQL run in pgq's database after its migrations (to try an index or function change by hand). */
  pgqSetupSql?: string
}

export interface Ctx {
  server: BenchServer
  /** The bench's own redis-servers, for the BullMQ Redis rows that run. */
  redis: Partial<Record<RedisPersistence, RedisServer>>
  /** Anchors that failed during a scenario: queue → scenario number → reason (see guard.ts). */
  failed: Partial<Record<QueueName, Record<number, string>>>
  opts: BenchOptions
  log(message: string): void
}

export const defaultSettings = (): QueueSettings => structuredClone(DEFAULT_SETTINGS)

export function machine() {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  }
}

export const loadavg = () => os.loadavg().map((x) => Math.round(x * 100) / 100) as [number, number, number]
