import type { Json, JsonObject } from './json.js'
import type { Store } from './store.js'

/**
 * What a store keeps of a dataflow execution (`@weft/dataflow`): its record (state, timestamps,
 * error, the graph it ran, its final metrics) and its recorded events (state changes, node errors,
 * backpressure, logs — not every message). Optional: a store that has it declares
 * `capabilities.dataflow` and the `dataflow` member; `dataflowStoreOf` finds it.
 */
export interface DataflowExecutionRecord {
  id: string
  /** The graph's name. */
  graph: string
  /** `pending`, `initializing`, `running`, `paused`, `completed`, `failed` or `cancelled`. */
  state: string
  createdAt: string
  startedAt?: string
  completedAt?: string
  error?: { message: string; nodeId?: string }
  /** Where the graph came from (a file path, `api`). */
  source?: string
  /** The graph document as it was run. */
  spec?: JsonObject
  /** Metrics, final once the execution has ended. */
  metrics?: JsonObject
}

export interface DataflowStoredEvent {
  executionId: string
  /** Per execution, gapless from 1, assigned by the store. */
  seq: number
  ts: string
  type: string
  data: Json
}

export interface DataflowStore {
  /** Creates or replaces an execution's record. */
  save(record: DataflowExecutionRecord): Promise<void>
  /** Appends events after the execution's last one; returns them with their seqs. Unknown executions are refused. */
  append(
    executionId: string,
    events: { ts: string; type: string; data: Json }[],
  ): Promise<DataflowStoredEvent[]>
  get(id: string): Promise<DataflowExecutionRecord | undefined>
  /** Newest first (by `createdAt`, then id). */
  list(options?: { limit?: number; state?: string }): Promise<DataflowExecutionRecord[]>
  /** Events with `seq > afterSeq`, in order, at most `limit` (default 1000). */
  events(executionId: string, options?: { afterSeq?: number; limit?: number }): Promise<DataflowStoredEvent[]>
}

/** The store's dataflow part when it declares one (`capabilities.dataflow`), else undefined. */
export function dataflowStoreOf(store: Store): DataflowStore | undefined {
  return store.capabilities.dataflow === true ? store.dataflow : undefined
}
