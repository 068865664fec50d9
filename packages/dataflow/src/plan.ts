import type { Component, PortSpec } from '@weft/spec'
import type { DataflowGraph, OnErrorAction } from './graph-schema.js'

/** A validated graph, ready to execute: components resolved, options parsed, ports known. */
export interface GraphPlan {
  name: string
  graph: DataflowGraph
  /** In topological order (Kahn's algorithm). */
  nodes: PlannedNode[]
  edges: PlannedEdge[]
  topology: Topology
  queueCapacity: number
}

export interface PlannedNode {
  id: string
  // biome-ignore lint/suspicious/noExplicitAny: each component has its own options type
  component: Component<any>
  options: unknown
  inputs: readonly PortSpec[]
  outputs: readonly PortSpec[]
  onError: OnErrorAction
}

export interface PlannedEdge {
  from: string
  fromPort: string
  to: string
  toPort: string
  capacity: number
}

export interface Topology {
  /** Every node, each after all the nodes it receives from. */
  order: string[]
  /** Longest distance from a node without incoming edges. */
  levels: Record<string, number>
  /** Nodes without incoming edges. */
  inputs: string[]
  /** Nodes without outgoing edges. */
  outputs: string[]
}
