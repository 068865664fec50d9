/**
 * Reading a run's events, and following them while it runs: from the store first (events of other
 * processes arrive this way too), then live from this process's bus, falling back to the store
 * whenever the live stream has a gap.
 */
import type { RunSummary, WeftEvent } from '@weft/spec'
import { EPHEMERAL_EVENT_TYPES, isTerminalRunStatus } from '@weft/spec'
import type { EventBus } from '../runtime/event-bus.js'
import type { EventsOptions } from './api.js'
import { type Host, notFound } from './context.js'

const PAGE = 500

export async function* followEvents(
  host: Host,
  bus: EventBus,
  get: (runId: string) => Promise<RunSummary | undefined>,
  runId: string,
  opts: EventsOptions,
): AsyncGenerator<WeftEvent> {
  await host.guard()
  let after = opts.after ?? 0
  const queue: WeftEvent[] = []
  let wake: (() => void) | undefined
  const unsubscribe = opts.follow
    ? bus.subscribe((e) => {
        queue.push(e)
        wake?.()
      }, runId)
    : undefined
  const onAbort = () => wake?.()
  opts.signal?.addEventListener('abort', onAbort)
  try {
    let summary = await get(runId)
    if (!summary) throw notFound(runId)
    for (;;) {
      // Catch up from the store.
      for (;;) {
        const page = await host.store.events.read(runId, { afterSeq: after, limit: PAGE })
        for (const e of page) {
          after = e.seq
          yield e
          if (isRunEnd(e)) return
        }
        if (page.length < PAGE) break
      }
      if (!opts.follow) return
      // The stored summary, not the in-memory one: there status and lastSeq are committed together.
      summary = await host.store.runs.get(runId)
      if (summary && isTerminalRunStatus(summary.status) && summary.lastSeq <= after) return
      // Then live events from this process, or a short poll for other processes' writes.
      while (queue.length === 0) {
        if (opts.signal?.aborted) return
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, host.registry.has(runId) ? 1000 : 250)
          wake = () => {
            clearTimeout(t)
            resolve()
          }
        })
        wake = undefined
        if (queue.length === 0) break
      }
      while (queue.length > 0) {
        const e = queue.shift()!
        if (EPHEMERAL_EVENT_TYPES.has(e.type)) {
          if (opts.deltas) yield e
          continue
        }
        if (e.seq <= after) continue
        if (e.seq > after + 1) {
          queue.unshift(e)
          break // a gap: read the missing events from the store first
        }
        after = e.seq
        yield e
        if (isRunEnd(e)) return
      }
    }
  } finally {
    unsubscribe?.()
    opts.signal?.removeEventListener('abort', onAbort)
  }
}

function isRunEnd(e: WeftEvent): boolean {
  return e.type === 'run.succeeded' || e.type === 'run.failed' || e.type === 'run.canceled'
}
