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

  abort(reason: AbortReason): void {
    if (this.why) return
    this.why = reason
    this.controller?.abort(reason)
  }
}
