/**
 * The task states of one run in the in-memory store. The runtime commits each task four times or
 * more (added, queued, started, succeeded), and writing each of those states into a map of
 * 100,000 task ids was a visible share of a run's time. So the states sit in an array, each task
 * in one slot. The runtime numbers its tasks 0, 1, 2, … (`order`), never changes a task's order,
 * and commits a new task after those before it, so a task's slot is its order: a new state of it
 * is found there without a map from id to slot, and that map is built only for a read by id or a
 * task that comes out of order.
 */
import type { TaskState } from '@weft/spec'

export class StoredTasks {
  /** Every task once (see `indexed`), in the order first committed. */
  private readonly slots: TaskState[] = []
  /**
   * From id to slot: built when first needed, since slot `i` holds the task of order `i` until a
   * task comes out of order. A run that nobody reads (a large batch run) never holds one: a map
   * of 100,000 ids is about 70 bytes per task of its peak memory.
   */
  private index?: Map<string, number>
  /** `stamps[i]`: when slot `i` was last written (a count of writes), to merge a task stored twice. */
  private readonly stamps: number[] = []
  private writes = 0

  put(t: TaskState): void {
    const slots = this.slots
    if (slots[t.order]?.taskId === t.taskId) {
      slots[t.order] = t
      this.stamps[t.order] = ++this.writes
      return
    }
    // Without the map, a task whose order is the next slot is taken as new. One that was stored
    // before under another order (which the runtime never does: a task keeps its order) is then
    // in two slots until `indexed` merges them.
    if (this.index === undefined && t.order === slots.length) {
      slots.push(t)
      this.stamps.push(++this.writes)
      return
    }
    const index = this.indexed()
    const at = index.get(t.taskId)
    if (at === undefined) {
      index.set(t.taskId, slots.length)
      slots.push(t)
      this.stamps.push(++this.writes)
    } else {
      slots[at] = t
      this.stamps[at] = ++this.writes
    }
  }

  get(taskId: string): TaskState | undefined {
    const at = this.indexed().get(taskId)
    return at === undefined ? undefined : this.slots[at]
  }

  /** Every task, in the order first committed. */
  values(): readonly TaskState[] {
    this.indexed()
    return this.slots
  }

  /**
   * The map from id to slot, built on first use. A task stored twice (see `put`) keeps its first
   * slot and its latest state, as it would have with the map from the start.
   */
  private indexed(): Map<string, number> {
    if (this.index) return this.index
    const { slots, stamps } = this
    const index = new Map<string, number>()
    let kept = 0
    for (let i = 0; i < slots.length; i++) {
      const t = slots[i]!
      const first = index.get(t.taskId)
      if (first !== undefined) {
        if (stamps[i]! > stamps[first]!) {
          slots[first] = t
          stamps[first] = stamps[i]!
        }
        continue
      }
      index.set(t.taskId, kept)
      slots[kept] = t
      stamps[kept++] = stamps[i]!
    }
    slots.length = kept
    stamps.length = kept
    this.index = index
    return index
  }
}
