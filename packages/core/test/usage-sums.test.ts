/**
 * Usage adds up in place between two reads of the summary (usage-sums.ts): a summary once read is
 * never changed afterwards, and the totals equal adding every event's usage one by one.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { addUsage, emptyUsage, type RunSummary, type Usage, type WeftEvent } from '../src/index.js'
import { applyEvent } from '../src/run/reducer.js'
import { emptyRunState } from '../src/run/state.js'

const usageArb = fc.record({
  inputTokens: fc.nat({ max: 1000 }),
  outputTokens: fc.nat({ max: 1000 }),
  model: fc.constantFrom(undefined, 'a', 'b', 'c'),
  backend: fc.constantFrom(undefined, 'x', 'y'),
  costUsd: fc.option(
    fc.integer({ min: 1, max: 999 }).map((c) => c / 1000),
    { nil: undefined },
  ),
  /** Read the summary after this event (a commit would). */
  read: fc.boolean(),
  /** An attempt starts with an estimate before it. */
  estimate: fc.option(fc.nat({ max: 500 }), { nil: undefined }),
})

/** An event of task `t` of run `r`, at second `seq`. */
function event(seq: number, type: string, data: Record<string, unknown>): WeftEvent {
  return {
    runId: 'r',
    seq,
    ts: new Date(seq * 1000).toISOString(),
    type,
    severity: 'info',
    taskId: 't',
    data,
  } as WeftEvent
}

function usageEvent(
  seq: number,
  u: { inputTokens: number; outputTokens: number; model?: string; backend?: string; costUsd?: number },
) {
  const data: Record<string, unknown> = {
    ...emptyUsage(),
    inputTokens: u.inputTokens,
    outputTokens: u.outputTokens,
  }
  for (const k of ['model', 'backend', 'costUsd'] as const) if (u[k] !== undefined) data[k] = u[k]
  return event(seq, 'usage.recorded', data)
}

function started(seq: number, tokens: number) {
  return event(seq, 'task.started', {
    estimate: { inputTokens: tokens, outputTokens: 1, costUsd: tokens / 100 },
  })
}

describe('usage totals', () => {
  it('equal the usage added event by event, and a summary once read never changes', () => {
    fc.assert(
      fc.property(fc.array(usageArb, { maxLength: 40 }), (list) => {
        const state = emptyRunState('r')
        applyEvent(state, event(1, 'task.added', { needs: [], priority: 50 }))
        let usage = emptyUsage()
        const byModel: Record<string, Usage> = {}
        const byBackend: Record<string, Usage> = {}
        let estimatedTokens: number | undefined
        let estimatedCost: number | undefined
        const seen: { summary: RunSummary; json: string }[] = []
        let seq = 2
        for (const u of list) {
          if (u.estimate !== undefined) {
            applyEvent(state, started(seq++, u.estimate))
            estimatedTokens = (estimatedTokens ?? 0) + u.estimate + 1
            estimatedCost = (estimatedCost ?? 0) + u.estimate / 100
          }
          applyEvent(state, usageEvent(seq++, u))
          const counts: Partial<Usage> = { inputTokens: u.inputTokens, outputTokens: u.outputTokens }
          if (u.costUsd !== undefined) counts.costUsd = u.costUsd
          usage = addUsage(usage, counts)
          const m = u.model ?? 'unknown'
          byModel[m] = addUsage(byModel[m] ?? emptyUsage(), counts)
          if (u.backend) byBackend[u.backend] = addUsage(byBackend[u.backend] ?? emptyUsage(), counts)
          if (u.read) seen.push({ summary: state.summary, json: JSON.stringify(state.summary) })
        }
        const s = state.summary
        expect(s.usage).toEqual(usage)
        if (list.length > 0) expect(s.usageByModel).toEqual(byModel)
        else expect(s.usageByModel).toBeUndefined()
        if (Object.keys(byBackend).length > 0) expect(s.usageByBackend).toEqual(byBackend)
        else expect(s.usageByBackend).toBeUndefined()
        expect(s.estimated?.tokens).toBe(estimatedTokens)
        expect(s.estimated?.costUsd).toBe(estimatedCost)
        expect(s.lastSeq).toBe(seq - 1)
        for (const r of seen) expect(JSON.stringify(r.summary)).toBe(r.json)
      }),
      { numRuns: 300, seed: 20261207 },
    )
  })
})
