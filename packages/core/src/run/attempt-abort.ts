/**
 * An attempt's abort. Node's AbortController (an EventTarget) costs more to create than the rest
 * of a no-op attempt's bookkeeping, and most attempts never abort and run backends that never read
 * their signal; so the controller is created only when something asks for `signal`, already
 * aborted if the attempt was aborted before that.
 */
import type { AbortReason } from '@weft/spec'

export class AttemptAbort {
  private controller?: AbortController
  private why?: AbortReason
  private listeners?: ((reason: AbortReason) => void)[]

  /** The attempt's signal; aborts with the `AbortReason` given to `abort`. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController()
      if (this.why) this.controller.abort(this.why)
    }
    return this.controller.signal
  }

  get aborted(): boolean {
    return this.why !== undefined
  }

  /** Why the attempt was aborted (the first reason given), or undefined. */
  get reason(): AbortReason | undefined {
    return this.why
  }

  /** Calls `listener` once the attempt aborts (at once, in a microtask, if it has), with no signal made. */
  onAbort(listener: (reason: AbortReason) => void): void {
    const why = this.why
    if (why) queueMicrotask(() => listener(why))
    else {
      this.listeners ??= []
      this.listeners.push(listener)
    }
  }

  /**
   * The attempt ended: its listeners and controller are dropped (see `letGo` in attempt.ts). The
   * reason stays readable; nothing aborts or reads the signal of an ended attempt.
   */
  letGo(): void {
    this.listeners = undefined
    this.controller = undefined
  }

  abort(reason: AbortReason): void {
    if (this.why) return
    this.why = reason
    this.controller?.abort(reason)
    const listeners = this.listeners
    this.listeners = undefined
    if (listeners) for (const l of listeners) l(reason)
  }
}
