/**
 * The run log, required of every store: `commit` under concurrency. Several commits at once to one
 * run or to many must still get gapless, distinct seqs, and only one of several with the same
 * `expectLastSeq` may win. These are the tests a store passes one commit at a time and still
 * fails once its writers race, so they have a file of their own.
 */
import type { Store } from '@weft/core'
import { beforeEach, expect, it } from 'vitest'
import { buildTaskState, logEvent } from '../fixtures.js'
import type { StoreSuite } from './helpers.js'

/**
 * Registers the concurrent-commit tests in the caller's `describe('commit')` block (not a block of
 * their own, so they keep their names and their place after the single-writer commit tests).
 */
export function concurrentCommitTests(suite: StoreSuite): void {
  const { createRun } = suite
  let store: Store
  beforeEach(() => {
    store = suite.store
  })

  it('serialises concurrent commits to one run: seqs stay gapless and distinct', async () => {
    const { runId } = await createRun()
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        store.commit({ runId, events: [logEvent(`c${i}-0`), logEvent(`c${i}-1`)] }),
      ),
    )
    const seqs = results
      .flat()
      .map((e) => e.seq)
      .sort((a, b) => a - b)
    expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 4))
    for (const r of results) expect(r[1]!.seq).toBe(r[0]!.seq + 1)
    const all = await store.events.read(runId)
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 23 }, (_, i) => i + 1))
    expect((await store.runs.get(runId))?.lastSeq).toBe(23)
  })

  it('lets exactly one of several concurrent commits with the same expectLastSeq win', async () => {
    const { runId } = await createRun()
    const outcomes = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) =>
        store.commit({ runId, expectLastSeq: 3, events: [logEvent(`resume ${i}`)] }),
      ),
    )
    const won = outcomes.filter((o) => o.status === 'fulfilled')
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected')
    expect(won).toHaveLength(1)
    expect(lost).toHaveLength(4)
    for (const l of lost) expect(l.reason).toMatchObject({ name: 'WeftError', code: 'conflict' })
    expect((await store.events.read(runId)).map((e) => e.seq)).toEqual([1, 2, 3, 4])
  })

  it('does not mix up concurrent commits to different runs', async () => {
    const runs = await Promise.all(Array.from({ length: 5 }, (_, i) => createRun({ name: `run-${i}` })))
    await Promise.all(
      Array.from({ length: 8 }, (_, round) =>
        runs.map(({ runId }, i) =>
          store.commit({
            runId,
            tasks: [buildTaskState(runId, 'a', 0, { status: 'running', attempt: round + 1 })],
            events: [logEvent(`run-${i} round-${round}`)],
          }),
        ),
      ).flat(),
    )
    for (const [i, { runId }] of runs.entries()) {
      const events = await store.events.read(runId)
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 11 }, (_, k) => k + 1))
      expect(events.every((e) => e.runId === runId)).toBe(true)
      const messages = events.slice(3).map((e) => (e.data as { message: string }).message)
      expect(messages.every((m) => m.startsWith(`run-${i} `))).toBe(true)
      expect(new Set(messages).size).toBe(8)
      const summary = await store.runs.get(runId)
      expect(summary).toMatchObject({ name: `run-${i}`, lastSeq: 11 })
      expect((await store.tasks.get(runId, 'a'))?.status).toBe('running')
    }
  })
}
