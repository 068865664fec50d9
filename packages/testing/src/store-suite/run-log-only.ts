import type { Store } from '@weft/core'

/**
 * The run log of `store` and nothing else: every optional part hidden and declared absent. A test
 * double for "a store with the required contract only", e.g. to check that a runtime runs on it.
 */
export function runLogOnly(store: Store): Store {
  return {
    specificationVersion: store.specificationVersion,
    id: `run-log-only:${store.id}`,
    capabilities: {
      transactions: store.capabilities.transactions,
      multiProcess: false,
      leases: false,
      signals: false,
      artifacts: false,
      memory: false,
      idempotency: false,
    },
    init: () => store.init(),
    close: () => store.close(),
    commit: (commit) => {
      // A commit with memory writes needs the memory capability; this store has none.
      if (commit.memory?.length) {
        return Promise.reject(
          new Error(`memory writes are unsupported by this store (run-log-only:${store.id})`),
        )
      }
      return store.commit(commit)
    },
    runs: store.runs,
    // Without `query`: tasks across runs are then found by scanning (core's `queryTasks`).
    tasks: {
      list: (runId) => store.tasks.list(runId),
      get: (runId, taskId) => store.tasks.get(runId, taskId),
    },
    events: store.events,
  }
}
