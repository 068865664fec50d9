import { DataflowError } from './events.js'
import type { EdgeRuntime } from './execution-node.js'
import type { GraphPlan } from './plan.js'
import type { Scheduler } from './scheduler.js'

export interface InjectTarget {
  node?: string
  port?: string
}

/** The graph's only `input` node (shared, so that a call without a target allocates nothing). */
export const NO_TARGET: InjectTarget = Object.freeze({})

/**
 * Where injected messages enter: one edge (with its own bounded queue) per input port injected
 * into, made on first use. The common case — no target, the graph's only `input` node — is cached.
 */
export class Injection {
  private readonly edges = new Map<string, EdgeRuntime>()
  private defaultEdge: EdgeRuntime | undefined

  constructor(
    private readonly plan: GraphPlan,
    private readonly sched: Scheduler,
    private readonly executionId: string,
  ) {}

  edge(target: InjectTarget): EdgeRuntime {
    if (target.node === undefined && target.port === undefined && this.defaultEdge) return this.defaultEdge
    const nodeId = target.node ?? this.defaultInput()
    const port = target.port ?? 'in'
    const key = `${nodeId}\u0000${port}`
    let edge = this.edges.get(key)
    if (edge) return edge
    const node = this.sched.nodes.find((n) => n.id === nodeId)
    const planned = this.plan.nodes.find((n) => n.id === nodeId)
    if (!node || !planned) {
      throw new DataflowError(
        'unknown_target',
        `the graph '${this.plan.name}' has no node '${nodeId}'`,
        `nodes: ${this.plan.nodes.map((n) => n.id).join(', ')}`,
      )
    }
    if (!planned.inputs.some((p) => p.name === port)) {
      throw new DataflowError(
        'unknown_target',
        `node '${nodeId}' has no input port '${port}'`,
        `its input ports: ${planned.inputs.map((p) => p.name).join(', ') || 'none'}`,
      )
    }
    edge = this.sched.newEdge(undefined, node, port, this.plan.queueCapacity, this.executionId)
    this.edges.set(key, edge)
    if (target.node === undefined && target.port === undefined) this.defaultEdge = edge
    return edge
  }

  /** Wakes every `send()` waiting for room (the execution ended: they find it finished). */
  wakeAll(): void {
    for (const edge of this.edges.values()) for (const w of edge.waiters.splice(0)) w()
  }

  private defaultInput(): string {
    const inputs = this.plan.nodes.filter((n) => n.component.id === 'input')
    if (inputs.length === 1) return inputs[0]!.id
    throw new DataflowError(
      'unknown_target',
      inputs.length === 0
        ? `the graph '${this.plan.name}' has no input node`
        : `the graph '${this.plan.name}' has ${inputs.length} input nodes`,
      inputs.length === 0
        ? `name the node to inject into (nodes: ${this.plan.nodes.map((n) => n.id).join(', ')})`
        : `name the node to inject into: ${inputs.map((n) => n.id).join(' or ')}`,
    )
  }
}
