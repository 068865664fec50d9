import type { ClaimRequest, Result } from './complete-queries.js'
import { attemptKey, type ClaimedAttempt, type QueueQueries } from './queries.js'
import { persist } from './retry.js'

export type Completion = Result

/**
 * How a batch of results refills the slots it frees (the worker's side): `reserve(n)` returns
 * the claim for the slots free once the batch's `n` attempts are done (undefined: none), held for
 * it until `release` gives back the reservation with what was claimed.
 */
export interface Refill {
  reserve(n: number): ClaimRequest | undefined
  release(asked: number, claimed: ClaimedAttempt[]): void
}

/**
 * A worker's results on their way to the queue. Results that arrive while a completion statement
 * is in flight go together in the next one: a burst of short tasks costs one round trip, not one
 * each, and that round trip also claims the attempts for the slots they free (`refill`). Each
 * result resolves true when it was accepted, false when its lease was lost (expired or canceled:
 * the result is thrown away and the task runs again elsewhere).
 */
export class Completions {
  readonly #waiting: (Completion & { resolve(ok: boolean): void; reject(e: unknown): void })[] = []
  #flushing = false

  constructor(
    readonly queue: QueueQueries,
    readonly worker: string,
    readonly refill?: Refill,
  ) {}

  add(r: Completion): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ claim: r.claim, status: r.status, result: r.result, resolve, reject })
      if (!this.#flushing) {
        this.#flushing = true
        setImmediate(() => void this.#flush())
      }
    })
  }

  async #flush(): Promise<void> {
    while (this.#waiting.length > 0) {
      const batch = this.#waiting.splice(0, 500)
      let claim = this.refill?.reserve(batch.length)
      const asked = claim?.limit ?? 0
      let done: Awaited<ReturnType<QueueQueries['complete']>>
      try {
        done = await persist(() => {
          // Claims only on the first try: a try whose reply was lost may have claimed already.
          const once = claim
          claim = undefined
          return this.queue.complete(this.worker, batch, once)
        })
      } catch (err) {
        this.refill?.release(asked, [])
        for (const b of batch) b.reject(err)
        continue
      }
      // The new attempts start before the finished ones leave their slots: the claim counted them.
      this.refill?.release(asked, done.claimed)
      for (const b of batch) b.resolve(done.accepted.has(attemptKey(b.claim)))
    }
    this.#flushing = false
  }
}
