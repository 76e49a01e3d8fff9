import type { PgqDriver } from '../driver/driver.js'
import { InvalidJobError } from '../errors.js'
import type { CallerTransaction, JobId } from '../types.js'
import { MAX_DEPENDENCIES, type NewJob, toInsertColumns } from '../validation/job-input.js'
import type { JobOperations } from './jobs.js'

/** One job of a flow: a NewJob with a key, waiting for the steps named in `after`. */
export interface FlowStep<P = unknown> extends NewJob<P> {
  /** Names the step within the flow (the result maps keys to job ids). */
  key: string
  /** Keys of the steps this one waits for (and reads the results of). */
  after?: readonly string[]
}

export interface FlowOptions {
  /** Enqueue inside your transaction (else pgq opens one). */
  tx?: CallerTransaction
}

const MAX_FLOW_STEPS = 10_000
export const MAX_FLOW_KEY_LENGTH = 256

/** The steps in levels: each level waits only for earlier ones. A cycle or an unknown key is refused. */
function levels(steps: readonly FlowStep[]): FlowStep[][] {
  if (!Array.isArray(steps) || steps.length === 0) throw new InvalidJobError('a flow takes a non-empty array of steps { key, entrypoint, payload, after? }', undefined, 'steps')
  if (steps.length > MAX_FLOW_STEPS) throw new InvalidJobError(`a flow holds at most ${MAX_FLOW_STEPS} steps, got ${steps.length}`, undefined, 'steps')
  const byKey = new Map<string, number>()
  steps.forEach((step, i) => {
    if (typeof step !== 'object' || step === null) throw new InvalidJobError('the step must be an object { key, entrypoint, payload, after? }', i, 'step')
    if (typeof step.key !== 'string' || step.key.length === 0 || step.key.length > MAX_FLOW_KEY_LENGTH) throw new InvalidJobError(`key must be a string of 1 to ${MAX_FLOW_KEY_LENGTH} characters`, i, 'key')
    if (byKey.has(step.key)) throw new InvalidJobError(`key ${JSON.stringify(step.key)} is also used by step #${byKey.get(step.key)}`, i, 'key')
    // A step that may enqueue nothing would leave the steps after it waiting on no job.
    const mode = (step as { dedupe?: { mode?: unknown } }).dedupe?.mode
    if (mode === 'skip' || mode === 'throttle') throw new InvalidJobError(`a flow step cannot use dedupe mode '${mode}': it may enqueue nothing`, i, 'dedupe.mode')
    byKey.set(step.key, i)
  })
  const depth = new Map<string, number>()
  const visiting = new Set<string>()
  const depthOf = (key: string, index: number): number => {
    const known = depth.get(key)
    if (known !== undefined) return known
    if (visiting.has(key)) throw new InvalidJobError(`the flow has a cycle through ${JSON.stringify(key)}: a step cannot wait for itself`, index, 'after')
    visiting.add(key)
    const step = steps[byKey.get(key)!]!
    const after = step.after ?? []
    if (!Array.isArray(after)) throw new InvalidJobError('after must be an array of step keys', byKey.get(key), 'after')
    const named = new Set(after).size + (Array.isArray(step.dependsOn) ? new Set(step.dependsOn).size : 0)
    if (named > MAX_DEPENDENCIES) throw new InvalidJobError(`after and dependsOn name ${named} jobs together; at most ${MAX_DEPENDENCIES}`, byKey.get(key), 'after')
    let d = 0
    for (const parent of after) {
      if (!byKey.has(parent)) throw new InvalidJobError(`after names ${JSON.stringify(String(parent).slice(0, 64))}, which is no step of this flow`, byKey.get(key), 'after')
      d = Math.max(d, depthOf(parent, byKey.get(key)!) + 1)
    }
    visiting.delete(key)
    depth.set(key, d)
    return d
  }
  const out: FlowStep[][] = []
  steps.forEach((step, i) => {
    const d = depthOf(step.key, i)
    const level = out[d] ?? []
    level.push(step)
    out[d] = level
  })
  return out
}

/**
 * Enqueues a DAG of jobs in one transaction, level by level (one insert per level), each
 * step depending on the jobs of its `after` keys. Returns each key's job id.
 */
export async function enqueueFlow(jobs: JobOperations, driver: PgqDriver, steps: readonly FlowStep[], options: FlowOptions = {}): Promise<Record<string, JobId>> {
  const order = levels(steps)
  const position = new Map(steps.map((step, i) => [step.key, i]))
  // A level's batch is not the flow: its errors name the step's place in `steps`.
  const atStep = (level: readonly FlowStep[]) => (error: unknown) => {
    throw error instanceof InvalidJobError && error.index !== undefined ? error.at(position.get(level[error.index]!.key)!) : error
  }
  // Every step checked before the first statement: a bad payload in a later level is refused
  // as such, even with the database down. (The `after` ids come from the inserts.)
  for (const level of order) {
    try {
      toInsertColumns(level.map(({ key: _key, after: _after, ...job }) => job))
    } catch (error) {
      atStep(level)(error)
    }
  }
  const run = async (tx: CallerTransaction) => {
    const ids: Record<string, JobId> = {}
    for (const level of order) {
      const batch = level.map(({ key: _key, after, ...job }) => ({ ...job, dependsOn: [...(job.dependsOn ?? []), ...(after ?? []).map((k) => ids[k]!)] }))
      const inserted = await jobs.enqueueMany(batch, { tx }).catch(atStep(level))
      level.forEach((step, i) => {
        // Defined, not assigned: a key such as "__proto__" is a key like any other.
        Object.defineProperty(ids, step.key, { value: inserted[i]!, enumerable: true, writable: true, configurable: true })
      })
    }
    return ids
  }
  return options.tx ? run(options.tx) : driver.transaction((tx) => run(tx))
}
