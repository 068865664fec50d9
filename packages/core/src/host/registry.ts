/**
 * The runs this process runs: one `RunExecution` per run id. Everything that acts on a run asks
 * here first; a run that is not here is in the store, and maybe in another process.
 */
import type { RunExecution } from '../runtime/run-execution.js'

export class RunRegistry {
  readonly #runs = new Map<string, RunExecution>()

  get(runId: string): RunExecution | undefined {
    return this.#runs.get(runId)
  }

  has(runId: string): boolean {
    return this.#runs.has(runId)
  }

  add(exec: RunExecution): void {
    this.#runs.set(exec.id, exec)
  }

  /** Forgets the run, only if `exec` (when given) is still the one registered. */
  remove(runId: string, exec?: RunExecution): boolean {
    if (exec && this.#runs.get(runId) !== exec) return false
    return this.#runs.delete(runId)
  }

  ids(): string[] {
    return [...this.#runs.keys()]
  }

  all(): RunExecution[] {
    return [...this.#runs.values()]
  }

  get size(): number {
    return this.#runs.size
  }

  clear(): void {
    this.#runs.clear()
  }

  /** Every run re-examines its ready tasks (a slot freed up, or the queue resumed). */
  pumpAll(): void {
    for (const exec of this.#runs.values()) exec.pump()
  }

  /** Attempts holding slots and tasks waiting for one, over the unfinished runs. */
  load(): { activeRuns: number; runningTasks: number; queuedTasks: number } {
    let runningTasks = 0
    let queuedTasks = 0
    let activeRuns = 0
    for (const exec of this.#runs.values()) {
      if (exec.isFinished) continue
      activeRuns++
      runningTasks += exec.holdingSlots
      queuedTasks += exec.waitingForSlot
    }
    return { activeRuns, runningTasks, queuedTasks }
  }
}
