import type { WeftEvent } from '@weft/core/contracts'
import { useMemo } from 'react'
import { formatDuration } from '../format.js'
import { spansOf } from './timeline-data.js'

const ROW = 22
const LABEL = 110

/** A Gantt of attempts: bars per task, retries and waits in their own style, growing while live. */
export function Timeline(props: { events: WeftEvent[]; taskIds: string[]; now: number; live: boolean }) {
  const { spans, start } = useMemo(() => spansOf(props.events), [props.events])
  if (start === undefined || spans.length === 0) {
    return <p className="muted">No attempt has started yet.</p>
  }
  const end = Math.max(
    start + 1,
    ...spans.map((s) => s.end ?? (props.live ? props.now : s.start)),
    ...(props.live ? [props.now] : []),
  )
  const total = end - start
  const rows = props.taskIds.filter((id) => spans.some((s) => s.taskId === id))
  const width = 1000
  const scale = (t: number) => LABEL + ((t - start) / total) * (width - LABEL - 10)
  return (
    <figure className="timeline">
      <svg
        viewBox={`0 0 ${width} ${rows.length * ROW + 24}`}
        role="img"
        aria-label={`Timeline of ${spans.length} attempts and waits over ${formatDuration(total)}`}
      >
        {rows.map((id, i) => (
          <g key={id} transform={`translate(0 ${i * ROW})`}>
            <text x={4} y={15} className="tl-label">
              {id.length > 14 ? `${id.slice(0, 13)}…` : id}
            </text>
            {spans
              .filter((s) => s.taskId === id)
              .map((s) => {
                const x = scale(s.start)
                const w = Math.max(2, scale(s.end ?? props.now) - x)
                return (
                  <rect
                    key={`${s.kind}-${s.attempt}-${s.start}`}
                    x={x}
                    y={3}
                    width={w}
                    height={ROW - 6}
                    rx={3}
                    className={`tl-${s.kind} tl-${s.outcome ?? 'running'}`}
                  >
                    <title>
                      {`${id} ${s.kind === 'attempt' ? `attempt ${s.attempt}` : s.kind.replace('_', ' ')}: ${formatDuration((s.end ?? props.now) - s.start)}${s.outcome ? ` (${s.outcome})` : ''}`}
                    </title>
                  </rect>
                )
              })}
          </g>
        ))}
        <text x={LABEL} y={rows.length * ROW + 18} className="tl-axis">
          0
        </text>
        <text x={width - 10} y={rows.length * ROW + 18} className="tl-axis" textAnchor="end">
          {formatDuration(total)}
        </text>
      </svg>
      <figcaption className="legend">
        <span className="key tl-attempt tl-succeeded" /> attempt
        <span className="key tl-attempt tl-failed" /> failed
        <span className="key tl-retry_wait" /> retry wait
        <span className="key tl-approval_wait" /> approval wait
      </figcaption>
    </figure>
  )
}
