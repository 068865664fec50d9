/**
 * The runtime-wide cap on running tasks, shared by every run of one runtime. While dispatch is
 * paused (`weft` queue pause) no slot is handed out, so no run starts a new attempt; attempts
 * already running keep their slots and finish.
 */
export class SlotPool {
  private used = 0
  private dispatchPaused = false
  constructor(readonly capacity: number) {}

  tryAcquire(): boolean {
    if (this.dispatchPaused || this.used >= this.capacity) return false
    this.used++
    return true
  }

  release(): void {
    if (this.used > 0) this.used--
  }

  /** A slot could be handed out now. */
  get hasFree(): boolean {
    return !this.dispatchPaused && this.used < this.capacity
  }

  get inUse(): number {
    return this.used
  }

  get paused(): boolean {
    return this.dispatchPaused
  }

  set paused(value: boolean) {
    this.dispatchPaused = value
  }
}
