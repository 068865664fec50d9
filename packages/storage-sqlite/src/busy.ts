import { setTimeout as sleep } from 'node:timers/promises'
import { isBusyError } from './driver.js'

export interface BusyRetryOptions {
  attempts: number
  baseDelayMs: number
}

/**
 * Runs `fn` again when SQLite still reports the database busy after `busy_timeout`. The busy
 * handler covers most contention; what escapes it (a WAL snapshot that went stale under a
 * deferred read, a lock held longer than the timeout) is transient, so the whole operation is
 * retried, never half of it: each `fn` call is one complete transaction.
 */
export async function retryBusy<T>(
  fn: () => T,
  options: BusyRetryOptions = { attempts: 5, baseDelayMs: 25 },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return fn()
    } catch (err) {
      if (!isBusyError(err) || attempt >= options.attempts) throw err
      // Exponential backoff with jitter, so that two waiting processes do not retry in lockstep.
      const delay = options.baseDelayMs * 2 ** (attempt - 1)
      await sleep(delay / 2 + Math.random() * delay)
    }
  }
}
