/**
 * The attempts a run has in flight, found by their task's order.
 *
 * Not a `Map` by task id, on purpose: a run adds and deletes one entry per attempt, and a `Map`
 * that churns rebuilds its hash table every few deletes, each old table pointing to its
 * successor (for iterators that are still walking it). Once V8 moved one such table to the old
 * generation, each dead table kept the next one alive through minor GCs, so every table, and the
 * attempts in it, was promoted and stayed until a full GC: about 50 bytes per task of a run's
 * peak memory. An array by order and a dense list change in place instead.
 */
import type { Attempt } from './attempt.js'
import { withRoom } from './typed-room.js'

/** What finds a task's attempt: its id and its order. */
interface TaskKey {
  readonly taskId: string
  readonly order: number
}

export class AttemptTable {
  /** `byOrder[order]`: the attempt of the task of that order, if one is in flight. */
  private readonly byOrder: (Attempt | undefined)[] = []
  /** The attempts in flight, in no particular order; `listed[i].order` finds `byOrder`'s entry. */
  private readonly listed: Attempt[] = []
  /** `at[order]`: where that task's attempt sits in `listed`. */
  private at = new Int32Array(64)

  get size(): number {
    return this.listed.length
  }

  has(t: TaskKey): boolean {
    return this.byOrder[t.order]?.taskId === t.taskId
  }

  get(t: TaskKey): Attempt | undefined {
    const a = this.byOrder[t.order]
    return a?.taskId === t.taskId ? a : undefined
  }

  /** Adds `a`, replacing an attempt of the same task. */
  set(a: Attempt): void {
    const old = this.get(a)
    if (old) {
      this.listed[this.at[a.order]!] = a
    } else {
      this.at = withRoom(this.at, a.order)
      this.at[a.order] = this.listed.length
      this.listed.push(a)
    }
    // Grown an entry at a time, never written past its end: a write far past the end of an
    // array makes V8 store it as a dictionary.
    const byOrder = this.byOrder
    while (byOrder.length <= a.order) byOrder.push(undefined)
    byOrder[a.order] = a
  }

  /** Removes `a` (no-op when another attempt of its task, or none, is in flight). */
  delete(a: Attempt): void {
    if (this.byOrder[a.order] !== a) return
    this.byOrder[a.order] = undefined
    const i = this.at[a.order]!
    const last = this.listed.pop()!
    if (last !== a) {
      this.listed[i] = last
      this.at[last.order] = i
    }
  }

  /** A copy of the attempts in flight: callers may end attempts (deleting them) as they walk it. */
  values(): Attempt[] {
    return this.listed.slice()
  }
}
