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
  /** Every task once, in the order first committed. */
  private readonly slots: TaskState[] = []
  /**
   * From id to slot: built when first needed, since slot `i` holds the task of order `i` until a
   * task comes out of order. A run that nobody reads by task id (a large batch run) never holds
   * one: a map of 100,000 ids is about 70 bytes per task of its peak memory.
   */
  private index?: Map<string, number>

  put(t: TaskState): void {
    const slots = this.slots
    if (slots[t.order]?.taskId === t.taskId) {
      slots[t.order] = t
      return
    }
    // While every slot holds the task of its own order, a task's order finds it: one whose order
    // is the next slot is new.
    if (this.index === undefined && t.order === slots.length) {
      slots.push(t)
      return
    }
    const index = this.indexed()
    const at = index.get(t.taskId)
    if (at === undefined) {
      index.set(t.taskId, slots.length)
      slots.push(t)
    } else slots[at] = t
  }

  get(taskId: string): TaskState | undefined {
    const at = this.indexed().get(taskId)
    return at === undefined ? undefined : this.slots[at]
  }

  /** Every task, in the order first committed. */
  values(): readonly TaskState[] {
    return this.slots
  }

  private indexed(): Map<string, number> {
    if (this.index) return this.index
    const index = new Map<string, number>()
    for (let i = 0; i < this.slots.length; i++) index.set(this.slots[i]!.taskId, i)
    this.index = index
    return index
  }
}
