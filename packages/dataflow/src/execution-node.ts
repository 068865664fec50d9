import type { Component, ComponentContext, ComponentLogLevel, PortSpec } from '@weft/spec'
import type { OnErrorAction } from './graph-schema.js'
import { Inbox } from './inbox.js'
import type { Message } from './message.js'
import { NodeCounters } from './metrics.js'
import { Ring } from './ring.js'

/**
 * Hooks only built-ins reach: the `output` component hands values out, `agent` reports usage, and
 * a built-in's `processBatch` reports the error of one message of its batch (as a throw from
 * `process` would) and learns whether to go on (not when the node's `onError: fail` ended the
 * execution). `HOST_EMIT_OWNED` is `emitBatch` for an array the caller hands over and never
 * touches again, which lets the engine queue it without a copy.
 */
export const HOST_OUTPUT: unique symbol = Symbol('weft.dataflow.output')
export const HOST_OUTPUT_BATCH: unique symbol = Symbol('weft.dataflow.outputBatch')
export const HOST_EMIT_OWNED: unique symbol = Symbol('weft.dataflow.emitOwned')
/** Whether an output port has an edge: a built-in may skip building what would go nowhere. */
export const HOST_CONNECTED: unique symbol = Symbol('weft.dataflow.connected')
export const HOST_USAGE: unique symbol = Symbol('weft.dataflow.usage')
export const HOST_ERROR: unique symbol = Symbol('weft.dataflow.error')

export interface HostContext extends ComponentContext {
  [HOST_OUTPUT](value: unknown): void
  [HOST_OUTPUT_BATCH](values: readonly unknown[]): void
  [HOST_EMIT_OWNED](port: string, values: unknown[]): void | Promise<void>
  [HOST_CONNECTED](port: string): boolean
  [HOST_USAGE](usage: { inputTokens?: number; outputTokens?: number; costUsd?: number }): void
  [HOST_ERROR](port: string, err: unknown): boolean
}

/** An edge at run time; injection into a node's port is an edge without a `from` node. */
export interface EdgeRuntime {
  executionId: string
  index: number
  /** `node.port`, or `inject`. */
  source: string
  target: string
  from: NodeRuntime | undefined
  to: NodeRuntime
  toPort: string
  capacity: number
  /** Messages of this edge in the target's inbox. */
  depth: number
  seq: number
  /** `send()` callers waiting for room (injection edges only). */
  waiters: (() => void)[]
}

/** One node of an execution: its component, its inbox (all incoming edges, in arrival order) and its state. */
export class NodeRuntime {
  readonly inbox = new Inbox()
  /** Emitted messages waiting for room downstream, in emission order. */
  readonly pending = new Ring<Message>()
  readonly out: Record<string, EdgeRuntime[]> = Object.create(null)
  readonly outPorts: Set<string>
  readonly counters = new NodeCounters()
  readonly state = new Map<string, unknown>()
  scheduled = false
  busy = false
  blocked = false
  initialized = false
  unblocked: Promise<void> | undefined
  release: (() => void) | undefined
  ctx!: HostContext

  constructor(
    readonly id: string,
    // biome-ignore lint/suspicious/noExplicitAny: each component has its own options type
    readonly component: Component<any>,
    readonly options: unknown,
    readonly outputs: readonly PortSpec[],
    readonly onError: OnErrorAction,
  ) {
    this.outPorts = new Set(outputs.map((p) => p.name))
    if (onError === 'route') this.outPorts.add('error')
  }
}

export interface ContextHost {
  executionId: string
  signal: AbortSignal
  emit(node: NodeRuntime, port: string, value: unknown): void | Promise<void>
  emitBatch(
    node: NodeRuntime,
    port: string,
    values: readonly unknown[],
    owned?: boolean,
  ): void | Promise<void>
  /** One message's error; returns whether the node may go on. */
  error(node: NodeRuntime, port: string, err: unknown): boolean
  log(node: NodeRuntime, level: ComponentLogLevel, message: string, meta?: Record<string, unknown>): void
  output(node: NodeRuntime, value: unknown): void
  outputBatch(node: NodeRuntime, values: readonly unknown[]): void
  usage(usage: { inputTokens?: number; outputTokens?: number; costUsd?: number }): void
}

/**
 * The context a node's hooks get: one object per node, reused for every call. The public methods
 * are the node's own closures (a component may pass `ctx.emit` around unbound); the hooks of the
 * built-ins are methods of the class, so that their hot call sites see one function, in every
 * node and every execution of the process, and stay inlined.
 */
class NodeContext implements HostContext {
  readonly executionId: string
  readonly nodeId: string
  readonly instanceId: string
  readonly options: unknown
  readonly signal: AbortSignal
  readonly emit: HostContext['emit']
  readonly emitBatch: HostContext['emitBatch']
  readonly getState: HostContext['getState']
  readonly setState: HostContext['setState']
  readonly log: HostContext['log']

  constructor(
    private readonly node: NodeRuntime,
    private readonly host: ContextHost,
  ) {
    this.executionId = host.executionId
    this.nodeId = node.id
    this.instanceId = `${host.executionId}/${node.id}`
    this.options = node.options
    this.signal = host.signal
    this.emit = (port, value) => host.emit(node, port, value)
    this.emitBatch = (port, values) => host.emitBatch(node, port, values)
    this.getState = <T>(key: string) => node.state.get(key) as T | undefined
    this.setState = (key, value) => void node.state.set(key, value)
    this.log = (level, message, meta) => host.log(node, level, message, meta)
  }

  [HOST_OUTPUT](value: unknown): void {
    this.host.output(this.node, value)
  }

  [HOST_OUTPUT_BATCH](values: readonly unknown[]): void {
    this.host.outputBatch(this.node, values)
  }

  [HOST_EMIT_OWNED](port: string, values: unknown[]): void | Promise<void> {
    return this.host.emitBatch(this.node, port, values, true)
  }

  [HOST_CONNECTED](port: string): boolean {
    return this.node.out[port] !== undefined
  }

  [HOST_USAGE](usage: { inputTokens?: number; outputTokens?: number; costUsd?: number }): void {
    this.host.usage(usage)
  }

  [HOST_ERROR](port: string, err: unknown): boolean {
    return this.host.error(this.node, port, err)
  }
}

export function createNodeContext(node: NodeRuntime, host: ContextHost): HostContext {
  return new NodeContext(node, host)
}
