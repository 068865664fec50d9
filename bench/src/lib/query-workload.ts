/**
 * The event-query workload of the `queries` scenarios, shared by every store measured: runs shaped
 * like real runs (per task: added, queued, started, five logs, usage, then succeeded or, one task
 * in a hundred, failed), written through `store.commit`, then the same reads and exports timed.
 */
import { Writable } from 'node:stream'
import type { Commit, Store } from '@weft/core'
import { exportEvents } from '@weft/export'
import { prng } from './graph.js'
import { percentiles } from './stats.js'

type Draft = Commit['events'][number]
export const PER_TASK = 10

export function* runEvents(tasks: number, start: number): Generator<Draft> {
  let at = start
  const ts = () => new Date(at++).toISOString()
  for (let i = 0; i < tasks; i++) {
    const taskId = `task-${i}`
    yield {
      type: 'task.added',
      taskId,
      ts: ts(),
      severity: 'info',
      data: { needs: i ? [`task-${i - 1}`] : [], priority: 50 },
    }
    yield { type: 'task.queued', taskId, ts: ts(), severity: 'info', data: {} }
    yield { type: 'task.started', taskId, attempt: 1, ts: ts(), severity: 'info', data: { backend: 'mock' } }
    for (let k = 0; k < 5; k++)
      yield {
        type: 'log',
        taskId,
        attempt: 1,
        ts: ts(),
        severity: 'info',
        data: { message: `step ${k} of task ${i}` },
      }
    yield {
      type: 'usage.recorded',
      taskId,
      attempt: 1,
      ts: ts(),
      severity: 'info',
      data: {
        inputTokens: 120,
        outputTokens: 48,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        reasoningTokens: 0,
        model: 'claude-sonnet-4-5',
        costUsd: 0.001,
      },
    }
    if (i % 100 === 99) {
      yield {
        type: 'task.failed',
        taskId,
        attempt: 1,
        ts: ts(),
        severity: 'error',
        data: { error: { code: 'exit_code', message: 'exit 1', retryable: false }, attempts: 1 },
      }
    } else {
      yield {
        type: 'task.succeeded',
        taskId,
        attempt: 1,
        ts: ts(),
        severity: 'info',
        data: { output: `result ${i}`, durationMs: 12 },
      }
    }
  }
}

export interface WorkloadInput {
  events: number
  runs: number
  samples: number
  exports: number
}

type Pct = ReturnType<typeof percentiles>

/** Times the reads of the scenario on one run of `tasks` tasks (`lastSeq` events). */
export async function timeQueries(
  store: Store,
  runId: string,
  tasks: number,
  input: Pick<WorkloadInput, 'samples' | 'exports'>,
): Promise<{ queries: Record<string, Pct>; export: Pct & { bytes: number } }> {
  const random = prng(7)
  const pick = (n: number) => Math.floor(random() * n)
  const lastSeq = tasks * PER_TASK + 1
  const time = async (f: () => Promise<unknown>) => {
    const samples: number[] = []
    for (let i = 0; i < 5; i++) await f() // warm the statement cache and the page cache
    for (let i = 0; i < input.samples; i++) {
      const t = performance.now()
      await f()
      samples.push(performance.now() - t)
    }
    return percentiles(samples)
  }
  const queries = {
    'read: page of 100 after a random seq': await time(() =>
      store.events.read(runId, { afterSeq: pick(lastSeq), limit: 100 }),
    ),
    'query: one task (run + taskId), limit 100': await time(() =>
      store.events.query({ runId, taskId: `task-${pick(tasks)}`, limit: 100 }),
    ),
    'query: common type in a run (task.succeeded), limit 100': await time(() =>
      store.events.query({ runId, types: ['task.succeeded'], limit: 100 }),
    ),
    'query: rare type in a run (task.failed), limit 100': await time(() =>
      store.events.query({ runId, types: ['task.failed'], limit: 100 }),
    ),
    'query: rare type, all runs (task.failed), limit 100': await time(() =>
      store.events.query({ types: ['task.failed'], limit: 100 }),
    ),
    'query: errors in a run (severity error), limit 100': await time(() =>
      store.events.query({ runId, severities: ['error'], limit: 100 }),
    ),
  }
  let bytes = 0
  const sink = () =>
    new Writable({
      write(chunk: Buffer | string, _enc, cb) {
        bytes += chunk.length
        cb()
      },
    })
  const exports: number[] = []
  for (let i = 0; i < input.exports + 1; i++) {
    bytes = 0
    const t = performance.now()
    const r = await exportEvents(store, { runId }, 'jsonl', sink())
    if (r.events !== lastSeq) throw new Error(`exported ${r.events} events, expected ${lastSeq}`)
    if (i > 0) exports.push(performance.now() - t)
  }
  return { queries, export: { ...percentiles(exports), bytes } }
}
