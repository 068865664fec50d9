import { join } from 'node:path'
import type { QueueChange, QueueState, QueueStore } from '@weft/core'
import { appendDurable, writeFileAtomic } from './atomic.js'
import type { StoreContext } from './context.js'
import { pretty } from './format.js'
import { readLines, readLinesBackward } from './lines.js'
import { withLock } from './lock.js'
import { readJson } from './run-files.js'

/**
 * The durable queue flag in two files at the store's top: `queue.json` (the flag, written
 * atomically) and `queue-history.jsonl` (one change per line). A change takes the queue lock, so
 * processes sharing the directory see one order of changes. The flag is written before its history
 * line: a crash between them loses the line, never the flag.
 */
export function createQueueStore(ctx: StoreContext): QueueStore {
  const stateFile = join(ctx.layout.dir, 'queue.json')
  const historyFile = join(ctx.layout.dir, 'queue-history.jsonl')
  const lockFile = join(ctx.layout.locksDir, 'queue.lock')
  const lockOptions = { timeoutMs: ctx.lockTimeoutMs, purpose: 'queue' }

  const get = async (): Promise<QueueState> => (await readJson<QueueState>(stateFile)) ?? { paused: false }

  async function history(): Promise<QueueChange[]> {
    const out: QueueChange[] = []
    for await (const line of readLines(historyFile)) {
      try {
        out.push(JSON.parse(line.text) as QueueChange)
      } catch {
        // A line glued to one a crash cut short is not a change.
      }
    }
    return out
  }

  /** A last line a crash left without its newline must not swallow the next one. */
  async function unfinished(): Promise<boolean> {
    for await (const line of readLinesBackward(historyFile)) return !line.complete
    return false
  }

  return {
    get,
    set: ({ paused, reason, by }) =>
      withLock(lockFile, lockOptions, async () => {
        const current = await get()
        if (current.paused === paused) return { state: current, changed: false }
        const ts = new Date().toISOString()
        const state: QueueState = {
          paused,
          ...(paused && reason !== undefined ? { reason } : {}),
          ...(by !== undefined ? { by } : {}),
          changedAt: ts,
        }
        await writeFileAtomic(stateFile, pretty(state), ctx.durability)
        const last = (await history()).at(-1)?.id ?? 0
        const change: QueueChange = {
          id: last + 1,
          ts,
          type: paused ? 'queue.paused' : 'queue.resumed',
          ...(reason !== undefined ? { reason } : {}),
          ...(by !== undefined ? { by } : {}),
        }
        const text = `${(await unfinished()) ? '\n' : ''}${JSON.stringify(change)}\n`
        await appendDurable(historyFile, text, ctx.durability)
        return { state, changed: true }
      }),
    async history(options = {}) {
      return (await history()).slice(-(options.limit ?? 100)).reverse()
    },
  }
}
