/**
 * The benchmark graphs: layered random DAGs, the same for a given size and seed in every system.
 * Tasks are declared in layer order, so declaration order is a topological order. Every task of
 * a layer after the first needs 1 to 3 distinct tasks (2 on average) of the layer before it, so
 * the graph is connected layer to layer and its critical path is its number of layers.
 */
export interface Dag {
  /** Task ids in declaration (and topological) order. */
  ids: string[]
  /** needs[i]: indexes of the tasks task i needs, all smaller than i. */
  needs: number[][]
  layers: number
  width: number
  edges: number
}

/** A small, fast, seedable PRNG (mulberry32): the same seed gives the same graph everywhere. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export const DEFAULT_WIDTH = 100

/** `n` tasks in layers of `width` (the last may be shorter); fan-in 1–3, about 2. */
export function layeredDag(n: number, seed = 42, width = DEFAULT_WIDTH): Dag {
  const random = prng(seed + n)
  const digits = String(n - 1).length
  const ids: string[] = []
  const needs: number[][] = []
  let edges = 0
  for (let i = 0; i < n; i++) {
    ids.push(`t${String(i).padStart(digits, '0')}`)
    const layer = Math.floor(i / width)
    if (layer === 0) {
      needs.push([])
      continue
    }
    const start = (layer - 1) * width
    const k = 1 + Math.floor(random() * 3)
    const picked = new Set<number>()
    while (picked.size < k) picked.add(start + Math.floor(random() * width))
    const list = [...picked].sort((a, b) => a - b)
    edges += list.length
    needs.push(list)
  }
  return { ids, needs, layers: Math.ceil(n / width), width, edges }
}
