/**
 * The attempts a run has in flight, found by their task's order.
 *
 * Not a `Map` by task id, on purpose: a run adds and deletes one entry per attempt, and a `Map`
 * that churns rebuilds its hash table every few deletes, each old table pointing to its
 * successor (for iterators that are still walking it). Once V8 moved one such table to the old
 * generation, each dead table kept the next one alive through minor GCs, so every table, and the
 * attempts in it, was promoted and stayed until a full GC: about 50 bytes per task of a run's
 * peak memory. An array by order and a list in the order attempts were added change in place.
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
  /**
   * The attempts in flight in the order they were added (as a `Map` keeps them: the order in
   * which a cancel or a shutdown ends them, and so records their events), with holes where one
   * was deleted, closed up once they are half of it.
   */
  private listed: (Attempt | undefined)[] = []
  private holes = 0
  /** `at[order]`: where that task's attempt sits in `listed`. */
  private at = new Int32Array(64)

  get size(): number {
    return this.listed.length - this.holes
  }

  has(t: TaskKey): boolean {
    return this.byOrder[t.order]?.taskId === t.taskId
  }

  get(t: TaskKey): Attempt | undefined {
    const a = this.byOrder[t.order]
    return a?.taskId === t.taskId ? a : undefined
  }

  /** Adds `a`, replacing an attempt of the same task (in its place). */
  set(a: Attempt): void {
    if (this.get(a)) {
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
    this.listed[this.at[a.order]!] = undefined
    this.holes++
    if (this.holes === this.listed.length) {
      this.listed = []
      this.holes = 0
    } else if (this.holes > 16 && this.holes * 2 > this.listed.length) this.closeUp()
  }

  /** A copy of the attempts in flight: callers may end attempts (deleting them) as they walk it. */
  values(): Attempt[] {
    const out: Attempt[] = []
    for (const a of this.listed) if (a !== undefined) out.push(a)
    return out
  }

  private closeUp(): void {
    const kept: Attempt[] = []
    for (const a of this.listed) {
      if (a === undefined) continue
      this.at[a.order] = kept.length
      kept.push(a)
    }
    this.listed = kept
    this.holes = 0
  }
}
