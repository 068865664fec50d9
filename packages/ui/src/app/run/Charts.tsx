import type { RunSummary, TaskState } from '@weft/core/contracts'
import { formatCost, formatTokens, totalTokens } from '../format.js'

interface Bar {
  label: string
  value: number
  text: string
}

/** Horizontal bars, biggest first; an accessible table underneath the picture. */
function Bars({ title, bars }: { title: string; bars: Bar[] }) {
  const sorted = [...bars].sort((a, b) => b.value - a.value).slice(0, 12)
  const max = Math.max(...sorted.map((b) => b.value), 0)
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      {sorted.length === 0 || max === 0 ? (
        <p className="muted">Nothing yet.</p>
      ) : (
        <ul className="bars">
          {sorted.map((b) => (
            <li key={b.label}>
              <span className="bar-label">{b.label}</span>
              <span className="bar-track" aria-hidden="true">
                <span className="bar" style={{ width: `${(b.value / max) * 100}%` }} />
              </span>
              <span className="bar-value">{b.text}</span>
            </li>
          ))}
        </ul>
      )}
    </figure>
  )
}

/** Used against a limit, as a semicircle gauge. */
export function Gauge(props: { label: string; used: number; limit: number; format(n: number): string }) {
  const ratio = props.limit > 0 ? Math.min(1, props.used / props.limit) : 0
  const angle = Math.PI * ratio
  const x = 60 - 50 * Math.cos(angle)
  const y = 60 - 50 * Math.sin(angle)
  const level = ratio >= 1 ? 'over' : ratio >= 0.8 ? 'high' : 'ok'
  return (
    <figure className={`gauge gauge-${level}`}>
      <svg viewBox="0 0 120 70" role="img" aria-label={`${props.label}: ${Math.round(ratio * 100)}% used`}>
        <path d="M10 60 A50 50 0 0 1 110 60" className="gauge-track" />
        {ratio > 0 ? <path d={`M10 60 A50 50 0 0 1 ${x} ${y}`} className="gauge-fill" /> : null}
        <text x="60" y="58" textAnchor="middle" className="gauge-text">
          {Math.round(ratio * 100)}%
        </text>
      </svg>
      <figcaption>
        {props.label}: {props.format(props.used)} of {props.format(props.limit)}
      </figcaption>
    </figure>
  )
}

export function CostCharts(props: {
  run: RunSummary
  tasks: TaskState[]
  budget: { maxCostUsd?: number; maxTokens?: number } | undefined
}) {
  const { run, tasks, budget } = props
  const byModel = Object.entries(run.usageByModel ?? {})
  return (
    <div className="charts">
      <Bars
        title="Cost per task"
        bars={tasks.map((t) => ({
          label: t.taskId,
          value: t.usage?.costUsd ?? 0,
          text: formatCost(t.usage?.costUsd),
        }))}
      />
      <Bars
        title="Tokens per task"
        bars={tasks.map((t) => ({
          label: t.taskId,
          value: totalTokens(t.usage),
          text: formatTokens(totalTokens(t.usage)),
        }))}
      />
      <Bars
        title="Cost per model"
        bars={byModel.map(([m, u]) => ({ label: m, value: u.costUsd ?? 0, text: formatCost(u.costUsd) }))}
      />
      <Bars
        title="Tokens per model"
        bars={byModel.map(([m, u]) => ({
          label: m,
          value: totalTokens(u),
          text: formatTokens(totalTokens(u)),
        }))}
      />
      <div className="gauges">
        {budget?.maxCostUsd !== undefined ? (
          <Gauge
            label="Budget (cost)"
            used={run.usage.costUsd ?? 0}
            limit={budget.maxCostUsd}
            format={formatCost}
          />
        ) : null}
        {budget?.maxTokens !== undefined ? (
          <Gauge
            label="Budget (tokens)"
            used={totalTokens(run.usage)}
            limit={budget.maxTokens}
            format={formatTokens}
          />
        ) : null}
        {!budget || (budget.maxCostUsd === undefined && budget.maxTokens === undefined) ? (
          <p className="muted">This run has no budget.</p>
        ) : null}
      </div>
    </div>
  )
}
