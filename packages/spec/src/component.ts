import type { z } from 'zod'

export const COMPONENT_SPECIFICATION_VERSION = 'weft.component.v1' as const

/**
 * What flows on a port. `any` connects to everything; otherwise an edge must join ports of the same
 * type (validation reports a mismatch with both ends named).
 */
export const PORT_TYPES = ['any', 'number', 'string', 'boolean', 'object', 'array', 'null'] as const
export type PortType = (typeof PORT_TYPES)[number]

export interface PortSpec {
  name: string
  /** Default `any`. */
  type?: PortType
  description?: string
}

export interface ComponentPorts {
  inputs: readonly PortSpec[]
  outputs: readonly PortSpec[]
}

export type ComponentLogLevel = 'debug' | 'info' | 'warn' | 'error'

/**
 * What a component instance (one node of a graph) gets on every call. `emit` routes a value along
 * every edge of an output port. It returns a promise only when a downstream queue is full: a
 * component that awaits it slows down to its consumer's pace, and the engine gives a node no new
 * message until everything it emitted has found room, so memory stays bounded either way.
 */
export interface ComponentContext<Options = unknown> {
  executionId: string
  nodeId: string
  /** Unique per node instance in an execution (`<executionId>/<nodeId>`). */
  instanceId: string
  /** The node's `with:`, parsed by the component's `optionsSchema` (defaults applied). */
  options: Options
  emit(port: string, value: unknown): void | Promise<void>
  emitBatch(port: string, values: readonly unknown[]): void | Promise<void>
  /** Instance state: survives across calls of this node, never shared with another node. */
  getState<T = unknown>(key: string): T | undefined
  setState(key: string, value: unknown): void
  log(level: ComponentLogLevel, message: string, meta?: Record<string, unknown>): void
  /** Aborts when the execution is stopped or fails. */
  signal: AbortSignal
}

/**
 * A reusable processing unit with typed ports. The same component serves many nodes; state lives
 * in each node's context (`getState`/`setState`), not in the component. Publish custom components
 * in an npm package with `definePlugin({ name, components: [...] })`.
 */
export interface Component<Options = unknown> {
  specificationVersion: typeof COMPONENT_SPECIFICATION_VERSION
  /** The name graphs use in `component:`. */
  id: string
  label?: string
  description?: string
  /** Ports when they do not depend on the options. */
  inputs: readonly PortSpec[]
  outputs: readonly PortSpec[]
  /** Ports that depend on the options (e.g. `split` has one output per route); wins over `inputs`/`outputs`. */
  ports?(options: Options): ComponentPorts
  /** Validates the node's `with:`; problems are reported at validation time with the node's path. */
  optionsSchema?: z.ZodType<Options>
  /**
   * Deeper checks of parsed options that a schema cannot make (e.g. an expression that does not
   * compile). Each message becomes a diagnostic at `with.<path>`.
   */
  check?(options: Options): { path: (string | number)[]; message: string; hint?: string }[]
  initialize?(ctx: ComponentContext<Options>): void | Promise<void>
  /** Called for each message, one at a time per node, in arrival order. */
  process(ctx: ComponentContext<Options>, port: string, value: unknown): void | Promise<void>
  /**
   * Optional: handles a run of messages that arrived on one port, in arrival order, and must do
   * what `process` called on each of them in turn would do (emitting with `emitBatch` saves a call
   * per message). When a component has it, the engine hands it up to 16,384 queued messages at a
   * time instead of calling `process`; `values` is the component's own to change or keep. An error
   * thrown from it counts once, for the whole batch: a component that needs `onError` per message
   * keeps to `process`. Each message still counts as one invocation; the latency recorded is the
   * batch's time divided by its size.
   */
  processBatch?(ctx: ComponentContext<Options>, port: string, values: unknown[]): void | Promise<void>
  /**
   * Called once after the inputs have ended and every node upstream has drained and flushed, before
   * the execution completes; may emit (e.g. an accumulator's last, partial batch). Not called when
   * the execution is stopped or fails.
   */
  flush?(ctx: ComponentContext<Options>): void | Promise<void>
  /** Called once when the execution ends, however it ends. */
  cleanup?(ctx: ComponentContext<Options>): void | Promise<void>
}

/** A component with the specification version filled in. */
export function defineComponent<Options = unknown>(
  component: Omit<Component<Options>, 'specificationVersion'>,
): Component<Options> {
  return { specificationVersion: COMPONENT_SPECIFICATION_VERSION, ...component }
}
