/** Requests in flight: the accounting middleware counts them, and `close()` waits until none are left. */
export class InflightRequests {
  private count = 0
  private idleWaiters: (() => void)[] = []

  begin(): void {
    this.count++
  }

  end(): void {
    this.count--
    if (this.count === 0) {
      const waiters = this.idleWaiters
      this.idleWaiters = []
      for (const w of waiters) w()
    }
  }

  /** Resolves once no request is in flight (at once when none is). */
  idle(): Promise<void> {
    return this.count === 0
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          this.idleWaiters.push(resolve)
        })
  }
}
