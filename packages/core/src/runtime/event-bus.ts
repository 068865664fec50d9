import type { WeftEvent } from '@weft/spec'

export type EventListener = (event: WeftEvent) => void

/** In-process fan-out of events as they are committed (and of live-only deltas). */
export class EventBus {
  private readonly all = new Set<EventListener>()
  private readonly byRun = new Map<string, Set<EventListener>>()

  subscribe(listener: EventListener, runId?: string): () => void {
    if (runId === undefined) {
      this.all.add(listener)
      return () => this.all.delete(listener)
    }
    const set = this.byRun.get(runId) ?? new Set<EventListener>()
    this.byRun.set(runId, set)
    set.add(listener)
    return () => {
      set.delete(listener)
      if (set.size === 0) this.byRun.delete(runId)
    }
  }

  publish(event: WeftEvent): void {
    // A listener that throws must not break the runtime or the other listeners.
    for (const l of this.all) safeCall(l, event)
    for (const l of this.byRun.get(event.runId) ?? []) safeCall(l, event)
  }
}

function safeCall(listener: EventListener, event: WeftEvent) {
  try {
    listener(event)
  } catch {
    /* a subscriber's bug is its own */
  }
}
