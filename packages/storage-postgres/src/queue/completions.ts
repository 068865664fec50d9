import { attemptKey, type ClaimedAttempt, type QueueQueries } from './queries.js'
import { persist } from './retry.js'

export interface Completion {
  claim: ClaimedAttempt
  status: 'succeeded' | 'failed'
  result: string
}

/**
 * A worker's results on their way to the queue. Results that arrive while a completion statement
 * is in flight go together in the next one: a burst of short tasks costs one round trip, not one
 * each. Each result resolves true when it was accepted, false when its lease was lost (expired or
 * canceled: the result is thrown away and the task runs again elsewhere).
 */
export class Completions {
  readonly #waiting: (Completion & { resolve(ok: boolean): void; reject(e: unknown): void })[] = []
  #flushing = false

  constructor(
    readonly queue: QueueQueries,
    readonly worker: string,
  ) {}

  add(r: Completion): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ ...r, resolve, reject })
      if (!this.#flushing) {
        this.#flushing = true
        setImmediate(() => void this.#flush())
      }
    })
  }

  async #flush(): Promise<void> {
    while (this.#waiting.length > 0) {
      const batch = this.#waiting.splice(0, 500)
      try {
        const accepted = await persist(() => this.queue.complete(this.worker, batch))
        for (const b of batch) b.resolve(accepted.has(attemptKey(b.claim)))
      } catch (err) {
        for (const b of batch) b.reject(err)
      }
    }
    this.#flushing = false
  }
}
