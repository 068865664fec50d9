/**
 * The run's own timers on its clock: one per retry wait, and the run's timeout. (An attempt's
 * timeout and cancel grace live with the attempt.)
 */
import type { Clock, TimerHandle } from './clock.js'

export class RunTimers {
  private readonly retries = new Map<string, TimerHandle>()
  /** Retries whose wait is over: the task may start its next attempt. */
  private readonly due = new Set<string>()
  private runTimer?: TimerHandle
  /** Approval gates with a `timeoutMs`. Not counted in `waiting`: a run waiting for a person pauses. */
  private readonly approvals = new Map<string, TimerHandle>()

  constructor(private readonly clock: Clock) {}

  /** Calls `fire` once `dueAt` (an ISO time; now when absent) has come. */
  scheduleRetry(taskId: string, dueAt: string | undefined, fire: () => void): void {
    const now = this.clock.now()
    const delay = Math.max(0, (dueAt ? Date.parse(dueAt) : now) - now)
    this.clock.clearTimeout(this.retries.get(taskId))
    this.retries.set(
      taskId,
      this.clock.setTimeout(() => {
        this.retries.delete(taskId)
        this.due.add(taskId)
        fire()
      }, delay),
    )
  }

  isDue(taskId: string): boolean {
    return this.due.has(taskId)
  }

  /** The task started its next attempt or finished: its retry is no longer pending. */
  forget(taskId: string): void {
    this.clock.clearTimeout(this.retries.get(taskId))
    this.retries.delete(taskId)
    this.due.delete(taskId)
  }

  /** Retry waits not over yet. */
  get waiting(): number {
    return this.retries.size
  }

  /** Calls `fire` at `at` (epoch ms) unless the gate is answered first (`forgetApproval`). */
  scheduleApproval(taskId: string, at: number, fire: () => void): void {
    this.clock.clearTimeout(this.approvals.get(taskId))
    const timer = this.clock.setTimeout(
      () => {
        this.approvals.delete(taskId)
        fire()
      },
      Math.max(0, at - this.clock.now()),
    )
    this.approvals.set(taskId, timer)
  }

  forgetApproval(taskId: string): void {
    this.clock.clearTimeout(this.approvals.get(taskId))
    this.approvals.delete(taskId)
  }

  armRun(at: number, fire: () => void): void {
    if (this.runTimer) return
    this.runTimer = this.clock.setTimeout(fire, Math.max(0, at - this.clock.now()))
  }

  clearRun(): void {
    this.clock.clearTimeout(this.runTimer)
  }

  clear(): void {
    this.clearRun()
    for (const timer of this.retries.values()) this.clock.clearTimeout(timer)
    this.retries.clear()
    for (const timer of this.approvals.values()) this.clock.clearTimeout(timer)
    this.approvals.clear()
  }
}
