/**
 * Time for one run: the current time and timers (task timeouts, retry waits, the run's timeout,
 * cancel grace). Injectable, so tests of retries and timeouts move time by hand instead of
 * waiting for it.
 */

/** What `setTimeout` of a clock returns; only its own `clearTimeout` understands it. */
export type TimerHandle = { readonly id: number } | ReturnType<typeof setTimeout>

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
  /** `now()` as an ISO string (the timestamps of events and states). */
  iso(): string
  /** `unref`: the timer does not keep the process alive (a grace period, not work). */
  setTimeout(fn: () => void, ms: number, options?: { unref?: boolean }): TimerHandle
  clearTimeout(handle: TimerHandle | undefined): void
}

let cachedMs = -1
let cachedIso = ''

/** The machine's clock. `iso()` formats once per millisecond: a burst of events shares the string. */
export const systemClock: Clock = {
  now: () => Date.now(),
  iso() {
    const ms = Date.now()
    if (ms !== cachedMs) {
      cachedMs = ms
      cachedIso = new Date(ms).toISOString()
    }
    return cachedIso
  },
  setTimeout(fn, ms, options) {
    const timer = setTimeout(fn, ms)
    if (options?.unref) timer.unref()
    return timer
  },
  clearTimeout(handle) {
    if (handle !== undefined) clearTimeout(handle as ReturnType<typeof setTimeout>)
  },
}

/** A clock that moves only when told: `advance(ms)` fires every timer that falls due, in order. */
export interface ManualClock extends Clock {
  advance(ms: number): void
  /** Timers set and not yet fired or cleared. */
  readonly pending: number
}

export function createManualClock(start = Date.parse('2026-01-01T00:00:00.000Z')): ManualClock {
  let now = start
  let nextId = 1
  const timers = new Map<number, { due: number; fn: () => void }>()
  return {
    now: () => now,
    iso: () => new Date(now).toISOString(),
    setTimeout(fn, ms) {
      const id = nextId++
      timers.set(id, { due: now + Math.max(0, ms), fn })
      return { id }
    },
    clearTimeout(handle) {
      if (handle && typeof handle === 'object' && 'id' in handle) timers.delete(handle.id)
    },
    advance(ms) {
      const target = now + ms
      for (;;) {
        // The earliest due timer (ties by the order they were set), until none is due by `target`.
        let first: [number, { due: number; fn: () => void }] | undefined
        for (const entry of timers)
          if (entry[1].due <= target && (!first || entry[1].due < first[1].due)) first = entry
        if (!first) break
        timers.delete(first[0])
        now = Math.max(now, first[1].due)
        first[1].fn()
      }
      now = target
    },
    get pending() {
      return timers.size
    },
  }
}
