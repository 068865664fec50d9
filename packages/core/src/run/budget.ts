/**
 * Budgets: the run's limits (runtime default < workflow < run override, field by field) and a
 * task's own, checked before each task with its estimate plus what running tasks are expected to
 * use, so parallel tasks cannot jointly overshoot.
 */

import type { BudgetSpec } from '@weft/spec'
import { totalTokens, type Usage } from '@weft/spec'

export type BudgetPolicy = NonNullable<BudgetSpec['onExceeded']>

export interface Estimate {
  inputTokens: number
  outputTokens: number
  costUsd?: number
  model?: string
}

export interface BudgetBreach {
  scope: 'run' | 'task'
  limit: 'tokens' | 'cost'
  max: number
  /** Spent (and reserved by running tasks) before this task. */
  spent: number
  /** What this task is expected to add. */
  estimate: number
}

export function mergeBudgets(...layers: (BudgetSpec | undefined)[]): BudgetSpec {
  const out: BudgetSpec = {}
  for (const layer of layers) {
    if (!layer) continue
    for (const [k, v] of Object.entries(layer)) if (v !== undefined) (out as Record<string, unknown>)[k] = v
  }
  return out
}

export function hasLimits(b: BudgetSpec | undefined): boolean {
  return b?.maxCostUsd !== undefined || b?.maxTokens !== undefined
}

/** The first limit this task would break, or undefined. Unknown costs cannot break a USD limit. */
export function checkBudget(input: {
  run: BudgetSpec
  task?: { maxCostUsd?: number; maxTokens?: number }
  spent: Usage
  reserved: { tokens: number; costUsd: number }
  estimate: Estimate
}): BudgetBreach | undefined {
  const { run, task, spent, reserved, estimate } = input
  const estTokens = estimate.inputTokens + estimate.outputTokens
  const spentTokens = totalTokens(spent) + reserved.tokens
  const spentCost = (spent.costUsd ?? 0) + reserved.costUsd
  if (task?.maxTokens !== undefined && estTokens > task.maxTokens) {
    return { scope: 'task', limit: 'tokens', max: task.maxTokens, spent: 0, estimate: estTokens }
  }
  if (
    task?.maxCostUsd !== undefined &&
    estimate.costUsd !== undefined &&
    estimate.costUsd > task.maxCostUsd
  ) {
    return { scope: 'task', limit: 'cost', max: task.maxCostUsd, spent: 0, estimate: estimate.costUsd }
  }
  if (run.maxTokens !== undefined && spentTokens + estTokens > run.maxTokens) {
    return { scope: 'run', limit: 'tokens', max: run.maxTokens, spent: spentTokens, estimate: estTokens }
  }
  if (
    run.maxCostUsd !== undefined &&
    estimate.costUsd !== undefined &&
    spentCost + estimate.costUsd > run.maxCostUsd
  ) {
    return { scope: 'run', limit: 'cost', max: run.maxCostUsd, spent: spentCost, estimate: estimate.costUsd }
  }
  return undefined
}

export function describeBreach(taskId: string, b: BudgetBreach): string {
  const fmt = (n: number) => (b.limit === 'cost' ? `$${n.toFixed(4)}` : `${Math.round(n)} tokens`)
  return b.scope === 'task'
    ? `task '${taskId}' is estimated at ${fmt(b.estimate)}, over its own budget of ${fmt(b.max)}`
    : `task '${taskId}' (estimated ${fmt(b.estimate)}) would take the run to ${fmt(b.spent + b.estimate)}, over its budget of ${fmt(b.max)} (${fmt(b.spent)} spent or in flight)`
}
