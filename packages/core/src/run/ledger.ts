/**
 * The run's ledger: usage and its price, what running attempts are expected to use, and the
 * budget they are checked against. It decides what to record; the reducer adds the recorded
 * usage up on the task and the run.
 */
import type { BudgetSpec, ErrorInfo, Usage } from '@weft/spec'
import { addUsage, emptyUsage } from '@weft/spec'
import {
  type BudgetBreach,
  type BudgetPolicy,
  checkBudget,
  describeBreach,
  type Estimate,
  mergeBudgets,
} from './budget.js'
import type { LiveRun } from './live-run.js'

export class Ledger {
  /** Estimates of running attempts, counted against the budget until their usage is recorded. */
  private readonly reserved = new Map<string, Estimate>()
  /** Attempts that reported usage as events; their result's usage is then not counted again. */
  private readonly usageSeen = new Set<string>()
  private readonly unknownCostModels = new Set<string>()

  constructor(private readonly run: LiveRun) {}

  /** The run's budget: the runtime's default, then the workflow's, then the run's override. */
  budget(): BudgetSpec {
    return mergeBudgets(this.run.deps.budget, this.run.spec.workflow.budget, this.run.spec.budget)
  }

  reserve(taskId: string, estimate: Estimate): void {
    this.reserved.set(taskId, estimate)
  }

  release(taskId: string): void {
    this.reserved.delete(taskId)
  }

  /** The first limit this task would break with `estimate` on top of what is spent and reserved. */
  check(taskId: string, estimate: Estimate): BudgetBreach | undefined {
    const task = this.run.plan.tasks.get(taskId)?.budget
    let tokens = 0
    let costUsd = 0
    for (const e of this.reserved.values()) {
      tokens += e.inputTokens + e.outputTokens
      costUsd += e.costUsd ?? 0
    }
    return checkBudget({
      run: this.budget(),
      ...(task ? { task } : {}),
      spent: this.run.summary.usage,
      reserved: { tokens, costUsd },
      estimate,
    })
  }

  /**
   * Records a breach and says what to do by policy. Pausing helps only when a person can raise
   * the run's budget, so a task's own limit fails the task instead.
   */
  breach(
    taskId: string,
    breach: BudgetBreach,
    estimate: Estimate,
  ): { policy: BudgetPolicy; message: string; error: ErrorInfo } {
    const policy: BudgetPolicy = this.budget().onExceeded ?? 'pause'
    const message = describeBreach(taskId, breach)
    const applied: BudgetPolicy = breach.scope === 'task' && policy === 'pause' ? 'fail_task' : policy
    this.run.record({
      type: 'budget.exceeded',
      taskId,
      severity: 'warn',
      data: {
        message,
        scope: breach.scope,
        limit: breach.limit,
        max: breach.max,
        spent: breach.spent,
        estimate: breach.estimate,
        estimatedTokens: estimate.inputTokens + estimate.outputTokens,
        ...(estimate.costUsd !== undefined ? { estimatedCostUsd: estimate.costUsd } : {}),
        policy: applied,
      },
    })
    return {
      policy: applied,
      message,
      error: {
        code: 'budget',
        message,
        retryable: false,
        hint: 'raise the budget of the workflow or of the run, and rerun',
      },
    }
  }

  /** Whether an attempt's usage was recorded from its events already. */
  seen(taskId: string, attempt: number): boolean {
    return this.usageSeen.has(`${taskId}#${attempt}`)
  }

  /**
   * Records usage and prices it: a cost the backend reports wins over the cost model's figure, and
   * both are kept on the event. An unknown model is an unknown cost (a diagnostic), never a zero.
   */
  recordUsage(
    taskId: string,
    attempt: number | undefined,
    reported: Partial<Usage> & { model?: string },
    purpose?: 'summarize' | 'compensate',
    /** The backend that used it, when not the task's own (a compensation's). */
    backend?: string,
  ): void {
    const run = this.run
    const t = run.task(taskId)
    const cost = run.deps.cost
    const { model: reportedModel, costUsd: reportedCostUsd, ...counts } = reported
    const model = reportedModel ?? run.plan.tasks.get(taskId)?.model
    if (attempt !== undefined) this.usageSeen.add(`${taskId}#${attempt}`)
    const usage = addUsage(emptyUsage(), counts)
    const computedCostUsd = cost ? cost.cost(usage, model) : undefined
    const costUsd = reportedCostUsd ?? computedCostUsd
    if (costUsd !== undefined) usage.costUsd = costUsd
    if (costUsd === undefined && cost && model && !this.unknownCostModels.has(model)) {
      this.unknownCostModels.add(model)
      run.record({
        type: 'diagnostic',
        severity: 'warn',
        data: {
          level: 'warning',
          code: 'unknown_model_cost',
          message: `model '${model}' is not in the model catalog, so its cost is unknown (not zero)`,
          hint: 'add it under `models:` in weft.config.yaml with its prices',
        },
      })
    }
    run.record({
      type: 'usage.recorded',
      taskId,
      ...(attempt !== undefined ? { attempt } : {}),
      data: {
        ...usage,
        ...(model ? { model } : {}),
        ...((backend ?? t.backend) ? { backend: backend ?? t.backend } : {}),
        ...(reportedCostUsd !== undefined ? { reportedCostUsd } : {}),
        ...(computedCostUsd !== undefined ? { computedCostUsd } : {}),
        ...(purpose ? { purpose } : {}),
      },
    })
  }
}
