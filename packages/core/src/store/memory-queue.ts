import type { QueueChange, QueueState, QueueStore } from '@weft/spec'

/** The durable queue flag of a store in memory: durable for as long as the process lives. */
export function createMemoryQueueStore(): QueueStore {
  let state: QueueState = { paused: false }
  const history: QueueChange[] = []
  return {
    async get() {
      return { ...state }
    },
    async set({ paused, reason, by }) {
      if (state.paused === paused) return { state: { ...state }, changed: false }
      const ts = new Date().toISOString()
      state = {
        paused,
        ...(paused && reason !== undefined ? { reason } : {}),
        ...(by !== undefined ? { by } : {}),
        changedAt: ts,
      }
      history.push({
        id: history.length + 1,
        ts,
        type: paused ? 'queue.paused' : 'queue.resumed',
        ...(reason !== undefined ? { reason } : {}),
        ...(by !== undefined ? { by } : {}),
      })
      return { state: { ...state }, changed: true }
    },
    async history(options = {}) {
      return history
        .slice(-(options.limit ?? 100))
        .reverse()
        .map((c) => ({ ...c }))
    },
  }
}
