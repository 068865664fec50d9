/**
 * The reducer's property: for random DAGs with random faults (retryable and final failures,
 * timeouts, skipped conditions, approval gates) and random controls (cancel, pause and resume),
 * in both modes, the state the live run reached equals the state its stored events replay to
 * through the reducer, and the state the store holds.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { RunSummary, TaskState } from '../src/index.js'
import { replayState } from '../src/run/replay.js'
import { runHarness } from './helpers/run-harness.js'
import { testBackend } from './helpers/test-backend.js'

type Fault = 'none' | 'flaky' | 'fail' | 'timeout' | 'skip' | 'approval'

const taskArb = fc.record({
  fault: fc.constantFrom<Fault>('none', 'none', 'none', 'flaky', 'fail', 'timeout', 'skip', 'approval'),
  delayMs: fc.integer({ min: 0, max: 3 }),
  priority: fc.integer({ min: 0, max: 100 }),
  /** Bits choosing needs among the tasks declared before. */
  needs: fc.array(fc.nat(), { maxLength: 3 }),
  /** What a success reports using: the run's totals and splits by model must replay the same. */
  usage: fc.option(
    fc.record({
      inputTokens: fc.nat({ max: 50 }),
      outputTokens: fc.nat({ max: 50 }),
      model: fc.constantFrom(undefined, 'm1', 'm2'),
      costUsd: fc.option(
        fc.integer({ min: 1, max: 99 }).map((c) => c / 1000),
        { nil: undefined },
      ),
    }),
    { nil: undefined },
  ),
})

const scenarioArb = fc.record({
  tasks: fc.array(taskArb, { minLength: 1, maxLength: 10 }),
  mode: fc.constantFrom('eager' as const, 'batched' as const),
  maxParallelism: fc.integer({ min: 1, max: 4 }),
  failFast: fc.boolean(),
  control: fc.oneof(
    fc.constant({ kind: 'none' as const }),
    fc.record({ kind: fc.constant('cancel' as const), afterMs: fc.integer({ min: 0, max: 8 }) }),
    fc.record({ kind: fc.constant('pause' as const), afterMs: fc.integer({ min: 0, max: 8 }) }),
  ),
})

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never

function workflowOf(s: Scenario) {
  const tasks: Record<string, Record<string, unknown>> = {}
  s.tasks.forEach((t, i) => {
    const needs = i === 0 ? [] : [...new Set(t.needs.map((n) => `t${n % i}`))]
    const spec: Record<string, unknown> = { needs, priority: t.priority, with: { delayMs: t.delayMs } }
    if (t.fault === 'flaky')
      Object.assign(spec, { with: { failTimes: 1 }, retry: { maxAttempts: 2, backoffMs: 1, jitter: 0 } })
    if (t.fault === 'fail') Object.assign(spec, { with: { error: 'boom' } })
    if (t.fault === 'timeout') Object.assign(spec, { with: { hang: true }, timeoutMs: 3 })
    if (t.fault === 'skip') spec.when = '${{ inputs.go == "no" }}'
    // JSON has no undefined: absent fields are left out.
    if (t.usage) spec.with = { ...(spec.with as object), usage: JSON.parse(JSON.stringify(t.usage)) }
    if (t.fault === 'approval')
      Object.assign(spec, { approval: { message: `approve t${i}` }, with: undefined })
    tasks[`t${i}`] = spec
  })
  return {
    weft: 1 as const,
    name: 'prop',
    mode: s.mode,
    maxParallelism: s.maxParallelism,
    failFast: s.failFast,
    inputs: { go: { type: 'string' as const, default: 'yes' } },
    defaults: { backend: 'test' },
    tasks,
  }
}

/** JSON-shaped, keys sorted: what two states are compared as. */
function normalized(summary: RunSummary, tasks: Iterable<TaskState>) {
  const sorted = [...tasks].sort((a, b) => a.order - b.order)
  return JSON.parse(JSON.stringify({ summary, tasks: sorted }))
}

describe('the reducer', () => {
  it('replays every random run to the state the live run reached (and the store holds)', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (s) => {
        const h = runHarness({ backends: [testBackend()], cancelGraceMs: 50 })
        const exec = await h.start({ workflow: workflowOf(s), inputs: { go: 'yes' } })
        if (s.control.kind !== 'none') {
          const { kind, afterMs } = s.control
          await new Promise((r) => setTimeout(r, afterMs))
          if (kind === 'cancel') await exec.cancel('random cancel').catch(() => {})
          else if (!exec.isFinished && exec.summary.status === 'running') {
            await exec.pause()
            await new Promise((r) => setTimeout(r, 2))
            const now = exec.summary as RunSummary
            if (now.status === 'paused' && now.pause?.reason === 'manual') await exec.resume()
          }
        }
        // Answer approvals until the run ends.
        for (let round = 0; round < 30; round++) {
          const summary = await exec.settled()
          if (summary.status !== 'paused') break
          if (summary.pause?.reason === 'approval') {
            const [first] = summary.pause.waiting
            if (first) await exec.resume({ token: first.token, input: { ok: round } })
          } else await exec.resume()
        }
        expect(exec.isFinished).toBe(true)
        const live = normalized(exec.summary, exec.tasks.values())
        const events = await h.events(exec.id)
        const replayed = replayState(events, { initiator: 'code', tags: [] })
        expect(normalized(replayed.summary, replayed.tasks.values())).toEqual(live)
        const stored = normalized((await h.store.runs.get(exec.id))!, await h.store.tasks.list(exec.id))
        expect(stored).toEqual(live)
      }),
      { numRuns: 60, seed: 20261206 },
    )
  }, 120_000)
})
