/**
 * The figures of `GET /api/v1/metrics`, kept from the runtime's events: tasks by outcome, recent
 * task durations (average and p95 over a window), events per second, tokens and cost by model.
 * Bounded memory: a ring of durations and one counter per second of the rate window.
 */
import type { MetricsSummary, UsageTotals } from '@weft/api'
import type { RuntimeQueueStatus, WeftEvent } from '@weft/core'

const DURATION_WINDOW = 1000
const RATE_WINDOW_S = 60

export class SummaryCollector {
  private readonly startedMs: number
  private readonly durations: number[] = []
  private nextDuration = 0
  private durationCount = 0
  private readonly ended = { succeeded: 0, failed: 0, canceled: 0, skipped: 0 }
  private eventsTotal = 0
  /** Events per second of the epoch, for the last RATE_WINDOW_S seconds. */
  private readonly perSecond = new Map<number, number>()
  private readonly byModel = new Map<string, UsageTotals>()

  constructor(private readonly now: () => number = Date.now) {
    this.startedMs = now()
  }

  observe(e: WeftEvent): void {
    if (e.type === 'agent.delta') return
    this.eventsTotal++
    const second = Math.floor(this.now() / 1000)
    this.perSecond.set(second, (this.perSecond.get(second) ?? 0) + 1)
    if (this.perSecond.size > RATE_WINDOW_S + 1) {
      for (const s of this.perSecond.keys()) if (s <= second - RATE_WINDOW_S) this.perSecond.delete(s)
    }
    switch (e.type) {
      case 'task.succeeded':
      case 'task.failed': {
        this.ended[e.type === 'task.succeeded' ? 'succeeded' : 'failed']++
        const ms = e.data.durationMs
        if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0) {
          this.durations[this.nextDuration] = ms
          this.nextDuration = (this.nextDuration + 1) % DURATION_WINDOW
          this.durationCount++
        }
        return
      }
      case 'task.canceled':
        this.ended.canceled++
        return
      case 'task.skipped':
        this.ended.skipped++
        return
      case 'usage.recorded': {
        const model = e.data.model ?? 'unknown'
        const t = this.byModel.get(model) ?? emptyTotals()
        add(t, e.data)
        this.byModel.set(model, t)
        return
      }
    }
  }

  summary(queue: RuntimeQueueStatus | undefined): MetricsSummary {
    const now = this.now()
    const sorted = [...this.durations].sort((a, b) => a - b)
    const average = sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : null
    const p95 = sorted.length
      ? sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)]!
      : null
    const second = Math.floor(now / 1000)
    let recent = 0
    for (const [s, n] of this.perSecond) if (s > second - RATE_WINDOW_S) recent += n
    // Before a full window has passed, the rate is over the time there was.
    const windowS = Math.min(RATE_WINDOW_S, Math.max(1, (now - this.startedMs) / 1000))
    const total = emptyTotals()
    for (const t of this.byModel.values()) add(total, t)
    return {
      startedAt: new Date(this.startedMs).toISOString(),
      uptimeSeconds: Math.max(0, (now - this.startedMs) / 1000),
      runs: { byStatus: { ...(queue?.runs ?? {}) }, active: queue?.activeRuns ?? 0 },
      tasks: { byStatus: { ...this.ended }, running: queue?.runningTasks ?? 0 },
      taskDuration: {
        count: this.durationCount,
        window: sorted.length,
        averageMs: average,
        p95Ms: p95,
      },
      queue: {
        depth: queue?.queuedTasks ?? 0,
        capacity: queue?.capacity ?? 0,
        paused: queue?.paused ?? false,
      },
      events: { total: this.eventsTotal, perSecond: recent / windowS, windowSeconds: RATE_WINDOW_S },
      usage: { byModel: Object.fromEntries(this.byModel), total },
    }
  }
}

function emptyTotals(): UsageTotals {
  return {
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    costUsd: 0,
  }
}

function add(t: UsageTotals, u: Partial<UsageTotals>): void {
  t.inputTokens += u.inputTokens ?? 0
  t.outputTokens += u.outputTokens ?? 0
  t.cacheReadTokens += u.cacheReadTokens ?? 0
  t.cacheWriteTokens += u.cacheWriteTokens ?? 0
  t.reasoningTokens += u.reasoningTokens ?? 0
  t.costUsd += u.costUsd ?? 0
}
