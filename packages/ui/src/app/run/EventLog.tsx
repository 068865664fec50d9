import type { WeftEvent } from '@weft/core/contracts'
import { useEffect, useMemo, useRef, useState } from 'react'
import { FilterSearch, FilterSelect } from '../components/Filters.js'

const FAMILIES = ['run', 'task', 'agent', 'tool', 'usage', 'budget', 'context', 'diagnostic', 'log']
const SEVERITIES = ['debug', 'info', 'warn', 'error']
const SHOWN = 1000

/** The run's event log with filters (type family, task, severity, text) and follow (stay at the end). */
export function EventLog(props: { events: WeftEvent[]; taskIds: string[]; connection: string }) {
  const [family, setFamily] = useState('')
  const [task, setTask] = useState('')
  const [severity, setSeverity] = useState('')
  const [text, setText] = useState('')
  const [follow, setFollow] = useState(true)
  const box = useRef<HTMLElement>(null)

  const shown = useMemo(() => {
    const needle = text.trim().toLowerCase()
    const list = props.events.filter(
      (e) =>
        (!family || e.type === family || e.type.startsWith(`${family}.`)) &&
        (!task || e.taskId === task) &&
        (!severity || e.severity === severity) &&
        (!needle || `${e.type} ${e.taskId ?? ''} ${JSON.stringify(e.data)}`.toLowerCase().includes(needle)),
    )
    return list.slice(-SHOWN)
  }, [props.events, family, task, severity, text])

  useEffect(() => {
    if (follow && box.current && shown.length) box.current.scrollTop = box.current.scrollHeight
  }, [follow, shown])

  return (
    <div className="event-log">
      <div className="filters">
        <FilterSelect label="Type" value={family} unset="all" choices={FAMILIES} onChange={setFamily} />
        <FilterSelect label="Task" value={task} unset="all" choices={props.taskIds} onChange={setTask} />
        <FilterSelect
          label="Severity"
          value={severity}
          unset="all"
          choices={SEVERITIES}
          onChange={setSeverity}
        />
        <FilterSearch label="Search" value={text} onChange={setText} />
        <label className="check">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow
        </label>
        <span className="muted small" aria-live="polite" data-connection={props.connection}>
          {props.connection === 'live'
            ? '● live'
            : props.connection === 'reconnecting'
              ? 'reconnecting…'
              : props.connection === 'ended'
                ? 'run ended'
                : 'connecting…'}
        </span>
      </div>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must take keyboard focus to scroll */}
      <section className="log-box" ref={box} tabIndex={0} aria-label="Event list">
        <table className="log">
          <tbody>
            {shown.map((e) => (
              <tr key={e.seq} className={`sev-${e.severity}`} data-seq={e.seq}>
                <td className="num muted">{e.seq}</td>
                <td className="muted">{e.ts.slice(11, 23)}</td>
                <td className="mono">{e.type}</td>
                <td>{e.taskId ?? ''}</td>
                <td className="log-data">{summary(e)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {shown.length === 0 ? <p className="muted">No events match.</p> : null}
      </section>
    </div>
  )
}

function summary(e: WeftEvent): string {
  const d = e.data as Record<string, unknown>
  if (typeof d.message === 'string') return d.message
  if (typeof d.text === 'string') return d.text
  if (typeof d.reason === 'string') return d.reason
  if (d.error && typeof d.error === 'object') return String((d.error as { message?: unknown }).message ?? '')
  const s = JSON.stringify(d)
  return s === '{}' ? '' : s.length > 200 ? `${s.slice(0, 200)}…` : s
}
