/**
 * `mode: batched`: the ready set in priority, then declaration order, in batches of at most
 * maxParallelism, each after the last; outcomes recorded in batch order, so the log does not
 * depend on how long each task takes.
 */
import { describe, expect, it } from 'vitest'
import type { WeftEvent } from '../src/index.js'
import { allEvents, makeRuntime } from './helpers/test-backend.js'

/** A DAG whose tasks take different times; `delays` maps task id to milliseconds. */
function workflow(delays: Record<string, number>) {
  const d = (id: string) => ({ delayMs: delays[id] ?? 0 })
  return {
    weft: 1 as const,
    name: 'batched',
    mode: 'batched' as const,
    maxParallelism: 2,
    defaults: { backend: 'test' },
    tasks: {
      a: { with: d('a') },
      b: { with: d('b'), priority: 10 },
      c: { with: d('c') },
      d: { with: d('d'), priority: 90 },
      e: { with: d('e') },
      f: { needs: ['a', 'b'], with: d('f') },
      g: { needs: ['c'], with: d('g') },
      h: { needs: ['f', 'g', 'e'], with: d('h') },
    },
  }
}

const shape = (events: WeftEvent[]) =>
  events.filter((e) => e.type !== 'agent.delta').map((e) => `${e.type}${e.taskId ? ` ${e.taskId}` : ''}`)

async function runOnce(delays: Record<string, number>) {
  const { runtime } = makeRuntime()
  try {
    const run = await runtime.start({ workflow: workflow(delays) })
    const done = await runtime.wait(run.id)
    expect(done.status).toBe('succeeded')
    return await allEvents(runtime, run.id)
  } finally {
    await runtime.close()
  }
}

describe('batched mode', () => {
  it('fills every batch: [a, b], then [c, d], then [e], each after the last', async () => {
    const { runtime } = makeRuntime()
    try {
      const d = (ms: number) => ({ with: { delayMs: ms } })
      const run = await runtime.start({
        workflow: {
          weft: 1,
          name: 'fill',
          mode: 'batched',
          maxParallelism: 2,
          defaults: { backend: 'test' },
          tasks: { a: d(5), b: d(60), c: d(5), d: d(5), e: d(5) },
        },
      })
      expect((await runtime.wait(run.id)).status).toBe('succeeded')
      const steps = (await allEvents(runtime, run.id))
        .filter((e) => e.type === 'task.started' || e.type === 'task.succeeded')
        .map((e) => `${e.type === 'task.started' ? '▶' : '✓'}${e.taskId}`)
      expect(steps).toEqual(['▶a', '▶b', '✓a', '✓b', '▶c', '▶d', '✓c', '✓d', '▶e', '✓e'])
    } finally {
      await runtime.close()
    }
  })

  it('records the same event sequence whatever each task takes', async () => {
    const first = await runOnce({ a: 40, b: 1, c: 25, d: 5, e: 30, f: 1, g: 20, h: 1 })
    const second = await runOnce({ a: 1, b: 40, c: 1, d: 35, e: 1, f: 30, g: 1, h: 10 })
    expect(shape(second)).toEqual(shape(first))
  })

  it('runs the ready set sorted, in batches of maxParallelism, each after the last', async () => {
    const events = await runOnce({ a: 10, b: 30, c: 5, d: 1, e: 20 })
    const tasks = events.filter((e) => e.type === 'task.started' || e.type === 'task.succeeded')
    const starts = tasks.filter((e) => e.type === 'task.started').map((e) => e.taskId)
    // First wave: b (priority 10), then a, c, e (50, declaration order), then d (90).
    expect(starts.slice(0, 5)).toEqual(['b', 'a', 'c', 'e', 'd'])
    // A batch starts only when the one before it has finished, and holds at most 2 tasks.
    let running = 0
    let batchOpen = false
    for (const e of tasks) {
      if (e.type === 'task.started') {
        expect(batchOpen && running === 0).toBe(false)
        running++
        expect(running).toBeLessThanOrEqual(2)
      } else {
        running--
        batchOpen = running > 0
      }
    }
    // Within a batch, outcomes are recorded in batch order (b before a, although a is faster).
    const firstTwo = tasks.filter((e) => e.type === 'task.succeeded').slice(0, 2)
    expect(firstTwo.map((e) => e.taskId)).toEqual(['b', 'a'])
  })
})
