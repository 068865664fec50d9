import { dataflowStoreOf, type Json, type JsonObject, type Store } from '@weft/core'
import type { DataflowGraph, Execution } from '@weft/dataflow'

/**
 * Keeps a finished execution in the store: its record (state, times, error, the graph, final
 * metrics) and its recorded events. A store without the `dataflow` part keeps nothing; returns
 * whether it was kept.
 */
export async function recordExecution(
  store: Store,
  execution: Execution,
  graph: DataflowGraph,
  source: string,
): Promise<boolean> {
  const dataflow = dataflowStoreOf(store)
  if (!dataflow) return false
  const snapshot = execution.snapshot()
  await dataflow.save({
    id: snapshot.id,
    graph: snapshot.graph,
    state: snapshot.state,
    createdAt: snapshot.createdAt,
    ...(snapshot.startedAt ? { startedAt: snapshot.startedAt } : {}),
    ...(snapshot.completedAt ? { completedAt: snapshot.completedAt } : {}),
    ...(snapshot.error ? { error: snapshot.error } : {}),
    source,
    spec: JSON.parse(JSON.stringify(graph)) as JsonObject,
    metrics: JSON.parse(JSON.stringify(snapshot.metrics)) as JsonObject,
  })
  const events = execution.events().map(({ executionId: _id, ts, type, ...data }) => ({
    ts,
    type,
    data: JSON.parse(JSON.stringify(data)) as Json,
  }))
  // In pages, so a long log never becomes one huge transaction.
  for (let i = 0; i < events.length; i += 1000) await dataflow.append(snapshot.id, events.slice(i, i + 1000))
  return true
}
