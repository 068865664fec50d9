import { type DataflowEvent, RECORDED_EVENT_TYPES } from './events.js'
import { Ring } from './ring.js'

export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never
export type EventDraft = DistributiveOmit<DataflowEvent, 'executionId' | 'ts'>
type Listener = (event: DataflowEvent) => void

/**
 * An execution's events: every one goes to the listeners; the recorded kinds (state changes,
 * node errors, backpressure, logs) are also kept, the newest `max` of them.
 */
export class EventLog {
  private readonly listeners = new Set<Listener>()
  private readonly recorded = new Ring<DataflowEvent>()
  private readonly lastBackpressure = new Map<string, { at: number; waits: number }>()
  /** Recorded events dropped because more than `max` were kept. */
  dropped = 0

  constructor(
    private readonly executionId: string,
    private readonly max: number,
  ) {}

  get listening(): boolean {
    return this.listeners.size > 0
  }

  on(listener: Listener): () => void {
    this.listeners.add(listener)
    return () => void this.listeners.delete(listener)
  }

  publish(draft: EventDraft): void {
    const event = { executionId: this.executionId, ts: new Date().toISOString(), ...draft } as DataflowEvent
    if (RECORDED_EVENT_TYPES.has(event.type)) {
      if (this.recorded.length >= this.max) {
        this.recorded.shift()
        this.dropped++
      }
      this.recorded.push(event)
    }
    for (const l of this.listeners) {
      try {
        l(event)
      } catch {
        // A listener's failure is its own; the execution goes on.
      }
    }
  }

  /**
   * A node waited for room. Every wait counts in the metrics; events are at most one per node per
   * second, with the waits since the previous one, so a slow consumer cannot flood the log.
   */
  backpressure(nodeId: string, edge: string, depth: number, capacity: number): void {
    const now = Date.now()
    const last = this.lastBackpressure.get(nodeId)
    if (last && now - last.at < 1000) {
      last.waits++
      return
    }
    this.lastBackpressure.set(nodeId, { at: now, waits: 0 })
    this.publish({ type: 'backpressure', nodeId, edge, depth, capacity, waits: (last?.waits ?? 0) + 1 })
  }

  recordedEvents(): DataflowEvent[] {
    return [...this.recorded]
  }
}
