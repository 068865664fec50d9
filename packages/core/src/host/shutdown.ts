/**
 * Stopping a runtime: no new attempts, running ones get a grace period, the rest are recorded as
 * interrupted (a later recovery runs them again), leases are released, backends disposed, the
 * store closed. Optionally on the process's signals, for a runtime that is the process.
 */
import { constants as osConstants } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Backend } from '@weft/spec'
import type { Host } from './context.js'

export async function shutdownRuns(
  host: Host,
  backends: ReadonlyMap<string, Backend>,
  opened: Promise<void> | undefined,
  graceMs: number,
): Promise<void> {
  await opened?.catch(() => {})
  const execs = host.registry.all()
  // No new attempts; running ones get the grace period, then are interrupted and recorded.
  const drained = Promise.all(execs.map((e) => e.drain()))
  if (graceMs > 0) await Promise.race([drained, sleep(graceMs, undefined, { ref: false })])
  for (const e of execs) e.interruptRunning('the runtime shut down before the task finished')
  await drained
  await Promise.all(execs.map((e) => e.detach()))
  await Promise.all(execs.map((e) => host.ownership.release(e.id)))
  host.registry.clear()
  await Promise.all([...backends.values()].map((b) => b.dispose?.().catch(() => {})))
  await host.store.close()
}

/**
 * `shutdownOnSignals`: the first of these signals shuts down with the grace period, then (by
 * default) exits with 128 + the signal number.
 */
export function shutdownOnSignals(
  config: { signals?: NodeJS.Signals[]; graceMs?: number; exit?: boolean },
  shutdown: (graceMs: number) => Promise<void>,
  warn: (message: string) => void,
): void {
  const { signals = ['SIGTERM', 'SIGINT'], graceMs = 10_000, exit = true } = config
  const onSignal = (signal: NodeJS.Signals) => {
    for (const s of signals) process.off(s, onSignal)
    warn(`${signal}: shutting down (running tasks get ${graceMs} ms)`)
    void shutdown(graceMs).finally(() => {
      if (exit) process.exit(128 + (osConstants.signals[signal] ?? 0))
    })
  }
  for (const s of signals) process.on(s, onSignal)
}
