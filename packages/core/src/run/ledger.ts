/**
 * The run's ledger: usage and its price, what running attempts are expected to use, and the
 * budget they are checked against. It decides what to record; the reducer adds the recorded
 * usage up on the task and the run.
 */
import type { BudgetSpec, ErrorInfo, Usage } from '@weft/spec'
import {
  type BudgetBreach,
  type BudgetPolicy,
  checkBudget,
  describeBreach,
  type Estimate,
  mergeBudgets,
} from './budget.js'
import type { LiveRun } from './live-run.js'

type UsageData = Usage & {
  model?: string
  backend?: string
  reportedCostUsd?: number
  computedCostUsd?: number
  purpose?: 'summarize' | 'compensate'
}

export class Ledger {
  /** Estimates of running attempts, counted against the budget until their usage is recorded. */
  private readonly reserved = new Map<string, Estimate>()
  /** What `reserved` adds up to, kept as it changes: a check is not a walk over every attempt. */
  private reservedTokens = 0
  private reservedCostUsd = 0
  /**
   * The last attempt of each task that reported usage as events; its result's usage is then not
   * counted again. By task, not by task and attempt: only the current attempt is ever asked about.
   */
  private readonly usageSeen = new Map<string, number>()
  private readonly unknownCostModels = new Set<string>()

  constructor(private readonly run: LiveRun) {}

  /** The run's budget: the runtime's default, then the workflow's, then the run's override. */
  budget(): BudgetSpec {
    return mergeBudgets(this.run.deps.budget, this.run.spec.workflow.budget, this.run.spec.budget)
  }

  reserve(taskId: string, estimate: Estimate): void {
    this.release(taskId)
    this.reserved.set(taskId, estimate)
    this.reservedTokens += estimate.inputTokens + estimate.outputTokens
    this.reservedCostUsd += estimate.costUsd ?? 0
  }

  release(taskId: string): void {
    const e = this.reserved.get(taskId)
    if (e === undefined) return
    this.reserved.delete(taskId)
    if (this.reserved.size === 0) {
      // Back to exact zero: sums of fractions of a cent drift.
      this.reservedTokens = 0
      this.reservedCostUsd = 0
      return
    }
    this.reservedTokens -= e.inputTokens + e.outputTokens
    this.reservedCostUsd -= e.costUsd ?? 0
  }

  /** The first limit this task would break with `estimate` on top of what is spent and reserved. */
  check(taskId: string, estimate: Estimate): BudgetBreach | undefined {
    const task = this.run.plan.tasks.get(taskId)?.budget
    return checkBudget({
      run: this.budget(),
      ...(task ? { task } : {}),
      spent: this.run.summary.usage,
      reserved: { tokens: this.reservedTokens, costUsd: this.reservedCostUsd },
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
    return this.usageSeen.get(taskId) === attempt
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
    const reportedCostUsd = reported.costUsd
    const model = reported.model ?? run.plan.tasks.get(taskId)?.model
    // A late event of an older attempt does not move the mark back.
    if (attempt !== undefined && attempt >= (this.usageSeen.get(taskId) ?? 0))
      this.usageSeen.set(taskId, attempt)
    // The counts alone (a reported cost is kept apart), absent ones 0.
    const usage: Usage = {
      inputTokens: reported.inputTokens ?? 0,
      outputTokens: reported.outputTokens ?? 0,
      cacheReadTokens: reported.cacheReadTokens ?? 0,
      cacheWriteTokens: reported.cacheWriteTokens ?? 0,
      reasoningTokens: reported.reasoningTokens ?? 0,
    }
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
    // The usage's keys, then the optional ones in this order (the log has always shown them so),
    // assigned rather than spread: this runs for every attempt that reports usage.
    const data: UsageData = usage
    if (model) data.model = model
    const by = backend ?? t.backend
    if (by) data.backend = by
    if (reportedCostUsd !== undefined) data.reportedCostUsd = reportedCostUsd
    if (computedCostUsd !== undefined) data.computedCostUsd = computedCostUsd
    if (purpose) data.purpose = purpose
    run.record({ type: 'usage.recorded', taskId, attempt, data })
  }
}
