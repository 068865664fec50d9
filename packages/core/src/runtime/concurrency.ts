/** The runtime-wide cap on running tasks, shared by every run of one runtime. */
export class SlotPool {
  private used = 0
  constructor(readonly capacity: number) {}

  tryAcquire(): boolean {
    if (this.used >= this.capacity) return false
    this.used++
    return true
  }

  release(): void {
    if (this.used > 0) this.used--
  }

  get inUse(): number {
    return this.used
  }
}
