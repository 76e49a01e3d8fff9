import { InvalidJobError } from '../errors.js'
import type { JobId } from '../types.js'
import { entrypointNamesProblem } from './entrypoint-names.js'

const MAX_IDS = 100_000

/** Job ids as one call takes them: an array of positive safe integers. */
export function checkJobIds(ids: unknown, field = 'ids'): JobId[] {
  if (!Array.isArray(ids)) throw new InvalidJobError(`${field} must be an array of job ids`, undefined, field)
  if (ids.length > MAX_IDS) throw new InvalidJobError(`${field} holds ${ids.length} ids; at most ${MAX_IDS} per call`, undefined, field)
  ids.forEach((id, i) => {
    refuseNonId(id, `${field}[${i}]`, field)
  })
  return ids as JobId[]
}

/** One job id: a positive safe integer (a larger number cannot be a bigint id exactly). */
export function checkJobId(id: unknown, field = 'id'): JobId {
  refuseNonId(id, field, field)
  return id as JobId
}

function refuseNonId(id: unknown, name: string, field: string): void {
  if (!Number.isSafeInteger(id) || (id as number) < 1) throw new InvalidJobError(`${name} must be a job id (a positive integer)`, undefined, field)
}

/** requeue's target: ids, or { ids?, entrypoints? } (neither: every held job). */
export function checkRequeueTarget(target: unknown): { ids?: JobId[]; entrypoints?: string[] } {
  if (Array.isArray(target)) return { ids: checkJobIds(target) }
  if (typeof target !== 'object' || target === null) throw new InvalidJobError('requeue takes job ids or { ids?, entrypoints? }', undefined, 'target')
  const { ids, entrypoints, ...rest } = target as { ids?: unknown; entrypoints?: unknown }
  const unknown = Object.keys(rest)[0]
  if (unknown !== undefined) throw new InvalidJobError(`unknown requeue filter ${JSON.stringify(unknown.slice(0, 64))}; known: ids, entrypoints`, undefined, 'target')
  const problem = entrypoints === undefined ? null : entrypointNamesProblem(entrypoints, 'entrypoints')
  if (problem) throw new InvalidJobError(problem, undefined, 'entrypoints')
  return { ...(ids === undefined ? {} : { ids: checkJobIds(ids) }), ...(entrypoints === undefined ? {} : { entrypoints: entrypoints as string[] }) }
}
