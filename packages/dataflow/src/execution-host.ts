import type { ComponentLogLevel } from '@weft/spec'
import type { ContextHost, NodeRuntime } from './execution-node.js'
import type { Scheduler } from './scheduler.js'

export type OutputListener = (nodeId: string, value: unknown) => void

/** Where the values reaching `output` nodes go: the execution's listeners, and a count. */
export class OutputSink {
  count = 0
  readonly listeners = new Set<OutputListener>()

  one(node: NodeRuntime, value: unknown): void {
    this.count++
    for (const l of this.listeners) l(node.id, value)
  }

  batch(node: NodeRuntime, values: readonly unknown[]): void {
    this.count += values.length
    const id = node.id
    const listeners = this.listeners
    if (listeners.size === 1) {
      const [only] = listeners
      for (let i = 0; i < values.length; i++) only!(id, values[i])
    } else for (let i = 0; i < values.length; i++) for (const l of listeners) l(id, values[i])
  }
}

/** What the execution does on its own for the nodes' contexts (errors, logs, usage). */
export interface ExecutionServices {
  /** One message's error; returns whether the node may go on. */
  error(node: NodeRuntime, port: string, err: unknown): boolean
  log(node: NodeRuntime, level: ComponentLogLevel, message: string, meta?: Record<string, unknown>): void
  usage(usage: { inputTokens?: number; outputTokens?: number; costUsd?: number }): void
}

/**
 * The host behind every node context of an execution. Its methods are the class's, not closures
 * made per execution: the hot paths (emit, batches, outputs) then call one function in every
 * execution of the process, which the engine keeps inlined instead of re-optimizing for each.
 */
export class ExecutionHost implements ContextHost {
  constructor(
    readonly executionId: string,
    readonly signal: AbortSignal,
    private readonly sched: Scheduler,
    private readonly sink: OutputSink,
    private readonly services: ExecutionServices,
  ) {}

  emit(node: NodeRuntime, port: string, value: unknown): void | Promise<void> {
    return this.sched.emit(node, port, value)
  }

  emitBatch(
    node: NodeRuntime,
    port: string,
    values: readonly unknown[],
    owned?: boolean,
  ): void | Promise<void> {
    return this.sched.emitBatch(node, port, values, owned)
  }

  error(node: NodeRuntime, port: string, err: unknown): boolean {
    return this.services.error(node, port, err)
  }

  log(node: NodeRuntime, level: ComponentLogLevel, message: string, meta?: Record<string, unknown>): void {
    this.services.log(node, level, message, meta)
  }

  output(node: NodeRuntime, value: unknown): void {
    this.sink.one(node, value)
  }

  outputBatch(node: NodeRuntime, values: readonly unknown[]): void {
    this.sink.batch(node, values)
  }

  usage(usage: { inputTokens?: number; outputTokens?: number; costUsd?: number }): void {
    this.services.usage(usage)
  }
}
