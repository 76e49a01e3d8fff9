// A DAG of flow steps built from a seed, for flow-reliability.test.ts: a root fanning out to
// 8 steps and back in; a spine chain of 10 with 3 diamonds hung on it (each joined back into
// the next spine step); 2 side chains of 6 off random fan steps; 4 leaves; random extra edges
// from earlier to later steps; one sink waiting for every step nothing else waits for.
// Steps are made in a topological order, so an edge to an earlier step can make no cycle;
// they are returned shuffled, as a caller would list them.

export interface DagStep {
  key: string
  /** Keys of the steps it waits for. */
  after: string[]
  /** How long its handler runs. */
  ms: number
}

/** mulberry32: small and seeded. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = Math.imul(a ^ (a >>> 15), a | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

export function seededDag(seed: number, { minMs = 20, maxMs = 60, extraEdgeChance = 0.2 } = {}): DagStep[] {
  const random = prng(seed)
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!
  const steps: DagStep[] = []
  const add = (key: string, after: string[]) => {
    steps.push({ key, after, ms: minMs + Math.floor(random() * (maxMs - minMs + 1)) })
    return key
  }

  const root = add('root', [])
  const fans = Array.from({ length: 8 }, (_, i) => add(`fan-${i}`, [root]))
  let spine = add('gather', fans)
  let join: string | undefined
  for (let i = 0; i < 10; i++) {
    spine = add(`spine-${i}`, join ? [spine, join] : [spine])
    join = undefined
    if (i % 3 === 1) {
      const left = add(`diamond-${i}-left`, [spine])
      const right = add(`diamond-${i}-right`, [spine])
      join = add(`diamond-${i}-join`, [left, right])
    }
  }
  for (let c = 0; c < 2; c++) {
    let link = pick(fans)
    for (let i = 0; i < 6; i++) link = add(`side-${c}-${i}`, [link])
  }
  for (let i = 0; i < 4; i++) add(`leaf-${i}`, ['gather'])

  // Extra edges, each from an earlier step: the made order stays topological.
  for (let i = 1; i < steps.length; i++) {
    if (random() >= extraEdgeChance) continue
    const parent = steps[Math.floor(random() * i)]!.key
    if (!steps[i]!.after.includes(parent)) steps[i]!.after.push(parent)
  }
  const waitedFor = new Set(steps.flatMap((s) => s.after))
  add('sink', steps.filter((s) => !waitedFor.has(s.key)).map((s) => s.key))

  // Fisher-Yates: flow() must order the levels itself.
  for (let i = steps.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[steps[i], steps[j]] = [steps[j]!, steps[i]!]
  }
  return steps
}

/** Steps on the longest path (the flow's least number of sequential runs). */
export function longestPath(steps: readonly DagStep[]): number {
  const byKey = new Map(steps.map((s) => [s.key, s]))
  const memo = new Map<string, number>()
  const depth = (key: string): number => {
    const known = memo.get(key)
    if (known !== undefined) return known
    const d = 1 + Math.max(0, ...byKey.get(key)!.after.map(depth))
    memo.set(key, d)
    return d
  }
  return Math.max(...steps.map((s) => depth(s.key)))
}
