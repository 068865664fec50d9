/**
 * The task states of one run in the in-memory store. The runtime commits each task four times or
 * more (added, queued, started, succeeded), and writing each of those states into a map of
 * 100,000 task ids was a visible share of a run's time. So the states sit in an array, each task
 * in one slot, and the map from id to slot is written once per task, when it first comes. The
 * runtime numbers its tasks 0, 1, 2, … (`order`) and commits a new task after those before it, so
 * a task's slot is its order: a new state of it is found there without the map.
 */
import type { TaskState } from '@weft/spec'

export class StoredTasks {
  /** Every task once, in the order first committed. */
  private readonly slots: TaskState[] = []
  private readonly index = new Map<string, number>()

  put(t: TaskState): void {
    const slots = this.slots
    if (slots[t.order]?.taskId === t.taskId) {
      slots[t.order] = t
      return
    }
    const at = this.index.get(t.taskId)
    if (at === undefined) {
      this.index.set(t.taskId, slots.length)
      slots.push(t)
    } else slots[at] = t
  }

  get(taskId: string): TaskState | undefined {
    const at = this.index.get(taskId)
    return at === undefined ? undefined : this.slots[at]
  }

  /** Every task, in the order first committed. */
  values(): readonly TaskState[] {
    return this.slots
  }
}
