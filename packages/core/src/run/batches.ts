/**
 * Batched mode (`mode: batched`), for reproducible runs. The whole ready set (a wave) is sorted by
 * priority, then declaration order, and runs in batches of at most `maxParallelism`, each batch
 * after the last one is done. Within a batch, attempts start in batch order once every member is
 * prepared, and their outcomes (with the events their backends reported) are recorded in batch
 * order once every member has settled. So two runs of the same workflow with the same inputs
 * record the same events in the same order, however long each task takes.
 */
import type { LiveRun } from './live-run.js'
import { tryDispatch } from './preparation.js'

export class Batch {
  /** Members in dispatch order. */
  private readonly members: string[] = []
  private readonly memberSet = new Set<string>()
  /** Members whose preparation has not reported yet. */
  private preparing = 0
  private readonly prepared = new Map<string, () => void>()
  /** Members whose attempt started and has not settled. */
  private readonly running = new Set<string>()
  private readonly settled = new Map<string, () => void>()

  add(taskId: string): void {
    this.members.push(taskId)
    this.memberSet.add(taskId)
    this.preparing++
  }

  /** A member that could not be dispatched after all (no slot). */
  remove(taskId: string): void {
    this.members.pop()
    this.memberSet.delete(taskId)
    this.preparing--
  }

  get size(): number {
    return this.members.length
  }

  has(taskId: string): boolean {
    return this.memberSet.has(taskId)
  }

  started(taskId: string): void {
    if (this.memberSet.has(taskId)) this.running.add(taskId)
  }

  /** Holds a member's preparation outcome; once all are in, applies them in batch order. */
  prepare(taskId: string, apply: () => void): boolean {
    this.prepared.set(taskId, apply)
    this.preparing--
    if (this.preparing > 0) return false
    for (const id of this.members) this.prepared.get(id)?.()
    this.prepared.clear()
    return true
  }

  /** Holds a member's outcome; once every started member settled, applies them in batch order. */
  settle(taskId: string, apply: () => void): void {
    this.settled.set(taskId, apply)
    this.running.delete(taskId)
  }

  /** Every member is prepared and every started one settled. */
  get complete(): boolean {
    return this.preparing === 0 && this.running.size === 0
  }

  merge(): void {
    const ready = [...this.settled]
    this.settled.clear()
    const order = new Map(this.members.map((id, i) => [id, i]))
    ready.sort((a, b) => order.get(a[0])! - order.get(b[0])!)
    for (const [, apply] of ready) apply()
  }
}

/** Starts the next batch when none is in flight: the next members of the wave, or a new wave. */
export function dispatchBatched(run: LiveRun): void {
  if (run.batch) return
  if (run.waveAt >= run.wave.length) {
    run.wave = run.graph.allReady().map((t) => t.taskId)
    run.waveAt = 0
  }
  const batch = new Batch()
  run.batch = batch
  let at = run.waveAt
  for (; at < run.wave.length && batch.size < run.plan.maxParallelism; at++) {
    const t = run.task(run.wave[at]!)
    if (!run.isReady(t)) continue
    // A member joins before it prepares: its preparation reports to the batch.
    batch.add(t.taskId)
    if (!tryDispatch(run, t)) {
      batch.remove(t.taskId)
      break
    }
  }
  run.waveAt = at
  if (batch.size === 0) run.batch = undefined
}

/** A member's preparation is done: applied now, or with the batch's others in batch order. */
export function onPrepared(run: LiveRun, taskId: string, apply: () => void): void {
  const batch = run.batch
  if (!batch?.has(taskId)) {
    apply()
    return
  }
  batch.prepare(taskId, apply)
  closeIfComplete(run, batch)
}

/** A member's attempt settled: applied now, or with the batch's others in batch order. */
export function onSettled(run: LiveRun, taskId: string, apply: () => void): void {
  const batch = run.batch
  if (!batch?.has(taskId)) {
    apply()
    return
  }
  batch.settle(taskId, apply)
  closeIfComplete(run, batch)
}

function closeIfComplete(run: LiveRun, batch: Batch): void {
  if (!batch.complete || run.batch !== batch) return
  run.batch = undefined
  // The next batch is chosen once every outcome of this one is recorded (and its slots are free).
  run.withPumpsHeld(() => batch.merge())
  run.pump()
}
