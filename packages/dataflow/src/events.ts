import type { ComponentLogLevel } from '@weft/spec'
import type { ExecutionMetrics } from './metrics.js'

export const EXECUTION_STATES = [
  'pending',
  'initializing',
  'running',
  'paused',
  'completed',
  'failed',
  'cancelled',
] as const
export type ExecutionState = (typeof EXECUTION_STATES)[number]

export const TERMINAL_STATES: ReadonlySet<ExecutionState> = new Set(['completed', 'failed', 'cancelled'])

export interface ExecutionError {
  message: string
  nodeId?: string
}

interface Base {
  executionId: string
  ts: string
}

/** What an execution reports. The recorded kinds (all but `port.emit`, `output` and `metrics`) are kept with the execution. */
export type DataflowEvent =
  | (Base & {
      type: 'execution.state'
      state: ExecutionState
      previous: ExecutionState
      error?: ExecutionError
    })
  | (Base & {
      type: 'node.error'
      nodeId: string
      port?: string
      message: string
      action: 'drop' | 'route' | 'fail'
    })
  /** A node waited for room in `edge` (`waits`: how many times since the node's previous event, at most one a second). */
  | (Base & {
      type: 'backpressure'
      nodeId: string
      edge: string
      depth: number
      capacity: number
      waits: number
    })
  | (Base & {
      type: 'node.log'
      nodeId: string
      level: ComponentLogLevel
      message: string
      meta?: Record<string, unknown>
    })
  | (Base & {
      type: 'port.emit'
      messageId: string
      source: string
      target: string
      sequence: number
      timestamp: number
      value: unknown
    })
  | (Base & { type: 'output'; nodeId: string; value: unknown })
  | (Base & { type: 'metrics'; metrics: ExecutionMetrics })

export type DataflowEventType = DataflowEvent['type']

export const RECORDED_EVENT_TYPES: ReadonlySet<DataflowEventType> = new Set([
  'execution.state',
  'node.error',
  'backpressure',
  'node.log',
])

/** `queue_full`: injection into a full queue; `invalid_state`: a control that the state does not allow. */
export type DataflowErrorCode =
  | 'queue_full'
  | 'invalid_state'
  | 'unknown_target'
  | 'execution_finished'
  | 'graph_invalid'

export class DataflowError extends Error {
  override readonly name = 'DataflowError'
  constructor(
    readonly code: DataflowErrorCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message)
  }
}
