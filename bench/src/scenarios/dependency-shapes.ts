// The job graphs scenario 10 drains, enqueued through pgq's public API on one connection of
// the bench process: fan-out (one parent, the rest its children), chains (queue.flow(), one
// flow per CHAINS_PER_FLOW chains) and fan-in (groups of parents and one child each). Every
// job the workers drain is a 'noop'; the fan-out's parent has an entrypoint of its own, so
// only the bench runs it (releasing its children), never the workers.
import type { JobId, NewJob } from '@pgq/core'
import { core } from '../core.mjs'
import { now } from '../stats.ts'

export const SHAPES = ['baseline', 'fan-out', 'chains', 'fan-in'] as const
export type Shape = (typeof SHAPES)[number]

const NOOP = 'noop'
export const PARENT = 'dependency-parent'
const BATCH = 1_000
/** Jobs per chain; the last chain is shorter when N is not a multiple. */
export const CHAIN_LENGTH = 100
/** 100 chains of 100 = 10,000 steps, the most one flow takes. */
const CHAINS_PER_FLOW = 100
/** Jobs per fan-in group: this many minus one parents, and their child (dependsOn takes at most 1,000 ids). */
export const FAN_IN_GROUP = 1_000

export type DependencyQueue = ReturnType<typeof openDependencyQueue>

/** A queue on its own small pool: enqueues (flows need a transaction) and the fan-out's parent. */
export function openDependencyQueue(url: string, logSuccess: boolean) {
  const driver = core.nodePostgresDriver({ connectionString: url, max: 2 })
  const producer = core.createQueue({ driver })
  const parentRunner = core.createQueue({ driver }).entrypoint(PARENT, { logSuccess }, () => undefined)
  return { producer, parentRunner, close: () => driver.end() }
}

const noop = (extra: Partial<NewJob> = {}): NewJob => ({ entrypoint: NOOP, payload: {}, ...extra })

/** Enqueues `jobs` jobs in batches of BATCH, `make(i)` making the i-th (i from 0). */
async function inBatches(q: DependencyQueue, jobs: number, make: (i: number) => NewJob): Promise<void> {
  for (let done = 0; done < jobs; done += BATCH) {
    await q.producer.enqueueMany(Array.from({ length: Math.min(BATCH, jobs - done) }, (_, i) => make(done + i)))
  }
}

export interface Enqueued {
  /** Jobs the workers will drain. */
  drained: number
  enqueueMs: number
  /** The fan-out's parent (not drained by the workers). */
  parent?: JobId
}

/** Enqueues one shape of `jobs` jobs in all (the fan-out's parent included). */
export async function enqueueShape(q: DependencyQueue, shape: Exclude<Shape, 'baseline'>, jobs: number): Promise<Enqueued> {
  const t0 = now()
  if (shape === 'fan-out') {
    const [parent] = await q.parentRunner.enqueueMany([{ entrypoint: PARENT, payload: {} }])
    await inBatches(q, jobs - 1, () => noop({ dependsOn: [parent!] }))
    return { drained: jobs - 1, enqueueMs: now() - t0, parent }
  }
  if (shape === 'chains') {
    const chains = Math.ceil(jobs / CHAIN_LENGTH)
    for (let first = 0; first < chains; first += CHAINS_PER_FLOW) {
      const steps = []
      for (let c = first; c < Math.min(chains, first + CHAINS_PER_FLOW); c++) {
        for (let i = 0; i < Math.min(CHAIN_LENGTH, jobs - c * CHAIN_LENGTH); i++) {
          steps.push({ ...noop(), key: `${c}.${i}`, ...(i > 0 ? { after: [`${c}.${i - 1}`] } : {}) })
        }
      }
      await q.producer.flow(steps)
    }
    return { drained: jobs, enqueueMs: now() - t0 }
  }
  for (let done = 0; done < jobs; done += FAN_IN_GROUP) {
    const size = Math.min(FAN_IN_GROUP, jobs - done)
    const parents = await q.producer.enqueueMany(Array.from({ length: size - 1 }, () => noop()))
    await q.producer.enqueue(NOOP, {}, parents.length ? { dependsOn: parents } : {})
  }
  return { drained: jobs, enqueueMs: now() - t0 }
}

/** Runs the fan-out's parent in the bench process; its finishing statement releases the children. Wall ms. */
export async function runParent(q: DependencyQueue): Promise<number> {
  const t0 = now()
  const summary = await q.parentRunner.drain({ batchSize: 1, maintenance: false, timeBudget: '10m' })
  const ms = now() - t0
  if (summary.succeeded !== 1) throw new Error(`the fan-out's parent: ${summary.succeeded} succeeded, expected 1 (${JSON.stringify(summary)})`)
  return ms
}
