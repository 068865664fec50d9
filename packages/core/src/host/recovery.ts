/**
 * Recovery: unfinished runs whose process stopped continue here. Finished tasks are kept; tasks
 * that were running run again as new attempts (after their leftover process groups are ended, see
 * `takeover.ts`). With `keepTrying`, runs that a live lease still holds are tried again until this
 * runtime takes them, they finish, or they pause: a server restarted within the lease of its
 * previous process picks up the runs that process held once the lease expires.
 */
import { isTerminalRunStatus, type RunSummary, WeftError } from '@weft/spec'
import { RunExecution } from '../runtime/run-execution.js'
import type { RecoverOptions, RecoveryReport } from './api.js'
import { type Host, notFound } from './context.js'
import { describeOwner } from './owner.js'
import { executionFor } from './takeover.js'

export class Recovery {
  /** Runs held by a live lease at the last try, to try again (`keepTrying`). */
  readonly #pending = new Set<string>()
  #timer: NodeJS.Timeout | undefined
  #retrying = false

  constructor(
    private readonly host: Host,
    private readonly retryMs: number,
  ) {}

  async recover(opts: RecoverOptions = {}): Promise<RecoveryReport[]> {
    await this.host.guard()
    const ids = opts.runId ? [opts.runId] : await this.unfinishedRunIds()
    const reports: RecoveryReport[] = []
    for (const runId of ids) {
      const report = await this.recoverOne(runId, opts.runId !== undefined)
      reports.push(report)
      if (opts.keepTrying && report.outcome === 'owned') this.#pending.add(runId)
    }
    if (opts.keepTrying && this.#pending.size > 0) this.#schedule()
    return reports
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
    this.#pending.clear()
  }

  private async recoverOne(runId: string, named: boolean): Promise<RecoveryReport> {
    const { host } = this
    const local = host.registry.get(runId)
    const summary = local ? structuredClone(local.summary) : await host.store.runs.get(runId)
    if (!summary) throw notFound(runId)
    const base = { runId, name: summary.name }
    if (isTerminalRunStatus(summary.status)) return { ...base, outcome: 'finished' }
    if (local) return { ...base, outcome: 'recovered', interrupted: [], kept: [] }
    // A pause that nobody runs is not lost work: it waits for a person, not for recovery; unless
    // an approval it waits for has a deadline, which only a process that holds the run can keep.
    if (
      summary.status === 'paused' &&
      summary.taskCounts.running === 0 &&
      !(await hasDeadline(host, summary))
    )
      return { ...base, outcome: 'paused' }
    let exec: Awaited<ReturnType<typeof executionFor>>
    try {
      exec = await executionFor(host, runId)
    } catch (err) {
      if (err instanceof WeftError && err.code === 'run_finished') return { ...base, outcome: 'finished' }
      throw err
    }
    if (!(exec instanceof RunExecution)) {
      const { remote, holder } = exec
      if (named) {
        const who = describeOwner(remote.owner)
        throw new WeftError(
          'conflict',
          holder === 'alive'
            ? `run ${runId} is owned by ${remote.owner} until ${remote.expiresAt}: that process (${who}) is alive and runs it`
            : `run ${runId} is owned by ${remote.owner} until ${remote.expiresAt}; whether that process still runs cannot be checked from here`,
          {
            hint:
              holder === 'alive'
                ? 'that process is running it: follow it, or cancel it'
                : 'if that process has died, the run can be recovered once its lease expires',
            next:
              holder === 'alive'
                ? [
                    { action: 'follow_run', runId },
                    { action: 'cancel_run', runId },
                  ]
                : [{ action: 'recover', runId }],
            details: { owner: remote.owner, expiresAt: remote.expiresAt, holder },
          },
        )
      }
      return { ...base, outcome: 'owned', lease: remote, holder }
    }
    return { ...base, outcome: 'recovered', ...(host.adoptions.get(runId) ?? { interrupted: [], kept: [] }) }
  }

  #schedule(): void {
    if (this.#timer || this.host.closed) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      void this.#retry()
    }, this.retryMs)
    this.#timer.unref()
  }

  async #retry(): Promise<void> {
    if (this.#retrying || this.host.closed) return
    this.#retrying = true
    try {
      for (const runId of [...this.#pending]) {
        if (this.host.closed) return
        try {
          const report = await this.recoverOne(runId, false)
          if (report.outcome === 'owned') continue
          this.#pending.delete(runId)
          if (report.outcome === 'recovered') {
            this.host.warn(
              `recovered run ${runId}${report.previousOwner ? ` from ${report.previousOwner.owner} (${report.previousOwner.because})` : ''}`,
            )
          }
        } catch (err) {
          if (err instanceof WeftError && err.code === 'run_not_found') this.#pending.delete(runId)
          else if (!this.host.closed)
            this.host.warn(`recovering run ${runId} failed: ${(err as Error).message}`, err)
        }
      }
    } finally {
      this.#retrying = false
      if (this.#pending.size > 0) this.#schedule()
    }
  }

  private async unfinishedRunIds(): Promise<string[]> {
    const ids: string[] = []
    let cursor: string | undefined
    do {
      const page = await this.host.store.runs.list({
        status: ['pending', 'running', 'canceling', 'paused'],
        limit: 500,
        ...(cursor ? { cursor } : {}),
      })
      ids.push(...page.items.map((r) => r.id))
      cursor = page.nextCursor
    } while (cursor)
    return ids.reverse() // oldest first
  }
}

/** Whether an approval the paused run waits for has a `timeoutMs` (its timer needs a holder). */
async function hasDeadline(host: Host, summary: RunSummary): Promise<boolean> {
  const waiting = summary.pause?.waiting ?? []
  if (waiting.length === 0) return false
  const spec = await host.store.runs.getSpec(summary.id)
  const tasks = spec?.workflow.tasks ?? {}
  return waiting.some(
    (w) => Object.hasOwn(tasks, w.taskId) && tasks[w.taskId]!.approval?.timeoutMs !== undefined,
  )
}
