import { Graph, layout } from '@dagrejs/dagre'

export const NODE_WIDTH = 190
export const NODE_HEIGHT = 74

/** Top-to-bottom positions of the task graph (dagre), top-left corners as React Flow wants them. */
export function layoutGraph(
  tasks: readonly { taskId: string; needs: readonly string[] }[],
  direction: 'TB' | 'LR' = 'TB',
): Map<string, { x: number; y: number }> {
  const g = new Graph()
  g.setGraph({ rankdir: direction, nodesep: 30, ranksep: 50, marginx: 10, marginy: 10 })
  g.setDefaultEdgeLabel(() => ({}))
  const ids = new Set(tasks.map((t) => t.taskId))
  for (const t of tasks) g.setNode(t.taskId, { width: NODE_WIDTH, height: NODE_HEIGHT })
  for (const t of tasks) for (const n of t.needs) if (ids.has(n)) g.setEdge(n, t.taskId)
  layout(g)
  const out = new Map<string, { x: number; y: number }>()
  for (const id of ids) {
    const n = g.node(id) as { x: number; y: number } | undefined
    if (n) out.set(id, { x: n.x - NODE_WIDTH / 2, y: n.y - NODE_HEIGHT / 2 })
  }
  return out
}
