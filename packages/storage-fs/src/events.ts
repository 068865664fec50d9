import { readdir, stat } from 'node:fs/promises'
import { type EventQuery, type EventStore, WeftError, type WeftEvent } from '@weft/core'
import { BoundedHeap } from './bounded-heap.js'
import type { StoreContext } from './context.js'
import { isSafeRunId } from './layout.js'
import { readLines } from './lines.js'
import { readJson, type StoredMeta } from './run-files.js'

const DEFAULT_LIMIT = 1000
/** Remember where every this many events start, so reads can begin near where they are asked to. */
const OFFSET_EVERY = 256

/**
 * Reads logs as streams: one line at a time from a file, never the whole file, and never past
 * the run's committed last seq (`meta.json`), so an append in flight or left by a crash is not
 * seen.
 */
export function createEventStore(ctx: StoreContext): EventStore {
  const { layout } = ctx

  async function committedLastSeq(runId: string): Promise<number> {
    if (!isSafeRunId(runId)) return 0
    return (await readJson<StoredMeta>(layout.run(runId).meta))?.lastSeq ?? 0
  }

  /** The run's committed events after `afterSeq`, in order. */
  async function* stream(runId: string, afterSeq: number, lastSeq: number): AsyncGenerator<WeftEvent> {
    const file = layout.run(runId).events
    let ino: number
    let size: number
    try {
      ;({ ino, size } = await stat(file))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
      throw err
    }
    let [seq, offset] = ctx.offsets.startFor(runId, ino, afterSeq)
    if (offset > size) [seq, offset] = [0, 0]
    let expected = seq + 1
    let line = 0
    for await (const l of readLines(file, offset)) {
      line++
      const event = parseEvent(l.text)
      if (event?.seq !== expected) {
        if (offset > 0 && line === 1) {
          // The remembered offset does not fit this file (another process cut and rewrote its
          // tail after damage): start over from the top.
          ctx.offsets.forget(runId)
          yield* streamFromTop(runId, afterSeq, lastSeq)
          return
        }
        throw damaged(file, l.start, expected)
      }
      if (event.seq % OFFSET_EVERY === 0 || event.seq === lastSeq)
        ctx.offsets.remember(runId, ino, event.seq, l.end)
      expected++
      if (event.seq > afterSeq) yield event
      if (event.seq >= lastSeq) return
    }
  }

  async function* streamFromTop(runId: string, afterSeq: number, lastSeq: number): AsyncGenerator<WeftEvent> {
    const file = layout.run(runId).events
    let expected = 1
    for await (const l of readLines(file, 0)) {
      const event = parseEvent(l.text)
      if (event?.seq !== expected) throw damaged(file, l.start, expected)
      expected++
      if (event.seq > afterSeq) yield event
      if (event.seq >= lastSeq) return
    }
  }

  return {
    async read(runId, options = {}) {
      const afterSeq = options.afterSeq ?? 0
      const limit = options.limit ?? DEFAULT_LIMIT
      const lastSeq = await committedLastSeq(runId)
      const out: WeftEvent[] = []
      if (afterSeq >= lastSeq || limit <= 0) return out
      for await (const e of stream(runId, afterSeq, lastSeq)) {
        out.push(e)
        if (out.length >= limit) break
      }
      return out
    },

    async query(q) {
      const limit = q.limit ?? DEFAULT_LIMIT
      if (limit <= 0) return []
      const match = matcher(q)
      // One run: its log order, stopping at the limit.
      if (q.runId !== undefined) {
        const out: WeftEvent[] = []
        const lastSeq = await committedLastSeq(q.runId)
        if (lastSeq === 0) return out
        for await (const e of stream(q.runId, 0, lastSeq)) {
          if (!match(e)) continue
          out.push(e)
          if (out.length >= limit) break
        }
        return out
      }
      // Across runs: (ts, runId, seq) order. A run's log is in seq order, but its timestamps need
      // not be (they are the writer's clock), so a merge that assumed them sorted could answer
      // wrongly; instead every log is streamed once and the `limit` first matches are kept in a
      // bounded heap — memory stays proportional to the limit, not to the logs.
      const heap = new BoundedHeap<WeftEvent>(limit, compareEvents)
      for (const runId of await listRunIds()) {
        const lastSeq = await committedLastSeq(runId).catch(() => 0)
        if (lastSeq === 0) continue
        for await (const e of stream(runId, 0, lastSeq)) if (match(e) && heap.wouldKeep(e)) heap.offer(e)
      }
      return heap.sorted()
    },
  }

  async function listRunIds(): Promise<string[]> {
    try {
      return (await readdir(layout.runsDir)).filter(isSafeRunId).sort()
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw err
    }
  }
}

function matcher(q: EventQuery): (e: WeftEvent) => boolean {
  return (e) =>
    (!q.types || q.types.includes(e.type)) &&
    (q.taskId === undefined || e.taskId === q.taskId) &&
    (!q.severities || q.severities.includes(e.severity)) &&
    (q.since === undefined || e.ts >= q.since) &&
    (q.until === undefined || e.ts < q.until)
}

export function compareEvents(a: WeftEvent, b: WeftEvent): number {
  if (a.ts !== b.ts) return a.ts < b.ts ? -1 : 1
  if (a.runId !== b.runId) return a.runId < b.runId ? -1 : 1
  return a.seq - b.seq
}

function parseEvent(text: string): WeftEvent | undefined {
  try {
    return JSON.parse(text) as WeftEvent
  } catch {
    return undefined
  }
}

function damaged(file: string, offset: number, expected: number): WeftError {
  return new WeftError(
    'internal',
    `${file} is damaged: the line at byte ${offset} should be the event with seq ${expected}`,
    {
      hint: 'the log was changed outside weft; restore it from a backup (weft only appends to it, and cuts only what was never committed)',
      details: { file, offset, expectedSeq: expected },
    },
  )
}
