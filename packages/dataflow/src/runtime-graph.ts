import { type EdgeRuntime, NodeRuntime } from './execution-node.js'
import type { GraphPlan } from './plan.js'

/** Node runtimes in topological order, with their outgoing edges wired. */
export function buildRuntime(plan: GraphPlan, executionId: string): { order: NodeRuntime[] } {
  const byId = new Map<string, NodeRuntime>()
  const order = plan.nodes.map((n) => {
    const node = new NodeRuntime(n.id, n.component, n.options, n.outputs, n.onError)
    byId.set(n.id, node)
    return node
  })
  let index = 0
  for (const e of plan.edges) {
    const from = byId.get(e.from)!
    const to = byId.get(e.to)!
    const edge: EdgeRuntime = {
      executionId,
      // Injection edges are numbered after these (from 1,000,000) so ids never collide.
      index: index++,
      source: `${e.from}:${e.fromPort}`,
      target: `${e.to}:${e.toPort}`,
      from,
      to,
      toPort: e.toPort,
      capacity: e.capacity,
      depth: 0,
      seq: 0,
      waiters: [],
    }
    const list = from.out[e.fromPort]
    if (list) list.push(edge)
    else from.out[e.fromPort] = [edge]
  }
  return { order }
}
