import type { Store } from './store.js'

/**
 * The durable queue flag: while `paused`, no process that shares the store starts a new attempt
 * (running ones finish); submissions are still accepted and queue up. It lives in the store, not in
 * a process, so every runtime and every worker honours it and it survives restarts.
 */
export interface QueueState {
  paused: boolean
  /** Why it was paused (given by whoever paused it). */
  reason?: string
  /** Who changed it last: an API key's name, `cli:<user>`. */
  by?: string
  /** When it last changed (ISO); absent when it never did. */
  changedAt?: string
}

/**
 * One change of the flag, kept in the store's queue history (the queue belongs to no run, so its
 * changes are not in any run's event log). `type` reads like a run event's type.
 */
export interface QueueChange {
  /** Increasing, never reused. */
  id: number
  ts: string
  type: 'queue.paused' | 'queue.resumed'
  reason?: string
  by?: string
}

export interface QueueStore {
  /** The flag as stored now (`{ paused: false }` when it was never set). */
  get(): Promise<QueueState>
  /**
   * Sets the flag. A change writes the state and appends one history row atomically; setting the
   * value it already has changes nothing and records nothing (`changed: false`).
   */
  set(change: {
    paused: boolean
    reason?: string
    by?: string
  }): Promise<{ state: QueueState; changed: boolean }>
  /** The changes, newest first, at most `limit` (default 100). */
  history(options?: { limit?: number }): Promise<QueueChange[]>
}

/** The store's durable queue flag when it declares one (`capabilities.queue`), else undefined. */
export function queueStoreOf(store: Store): QueueStore | undefined {
  return store.capabilities.queue === true ? store.queue : undefined
}
