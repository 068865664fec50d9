import { useEffect, useRef, useState } from 'react'
import { errorText, isAuthError, useSession } from './api.js'

/**
 * Loads with `load` now and every `intervalMs` while the page is visible (live lists), again when
 * a dependency changes. A 401 asks for a key instead of showing an error.
 */
export function usePolled<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: readonly unknown[],
  intervalMs: number,
): { data: T | undefined; error: string | undefined; reload(): void } {
  const { unauthorized } = useSession()
  const [data, setData] = useState<T>()
  const [error, setError] = useState<string>()
  const [tick, setTick] = useState(0)
  const loadRef = useRef(load)
  loadRef.current = load
  // biome-ignore lint/correctness/useExhaustiveDependencies: deps are the caller's
  useEffect(() => {
    const controller = new AbortController()
    let timer: ReturnType<typeof setTimeout> | undefined
    const run = async () => {
      try {
        const value = await loadRef.current(controller.signal)
        if (controller.signal.aborted) return
        setData(value)
        setError(undefined)
      } catch (err) {
        if (controller.signal.aborted) return
        if (isAuthError(err)) {
          unauthorized()
          return
        }
        setError(errorText(err))
      }
      if (intervalMs > 0 && !controller.signal.aborted) timer = setTimeout(run, intervalMs)
    }
    void run()
    return () => {
      controller.abort()
      clearTimeout(timer)
    }
  }, [...deps, tick, intervalMs, unauthorized])
  return { data, error, reload: () => setTick((t) => t + 1) }
}

/** Runs an action (a button), reporting its error; a 401 asks for a key. */
export function useAction() {
  const { unauthorized } = useSession()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string>()
  const run = async <T>(fn: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true)
    setError(undefined)
    try {
      return await fn()
    } catch (err) {
      if (isAuthError(err)) unauthorized()
      else setError(errorText(err))
      return undefined
    } finally {
      setBusy(false)
    }
  }
  return { busy, error, run, clearError: () => setError(undefined) }
}

/** Re-renders every `ms` (running durations). */
export function useNow(ms: number, active = true): number {
  const [now, setNow] = useState(Date.now)
  useEffect(() => {
    if (!active) return
    const t = setInterval(() => setNow(Date.now()), ms)
    return () => clearInterval(t)
  }, [ms, active])
  return now
}
