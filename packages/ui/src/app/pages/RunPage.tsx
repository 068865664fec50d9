import type { ArtifactInfo } from '@weft/api'
import { isTerminalRunStatus } from '@weft/core/contracts'
import { useEffect, useState } from 'react'
import { useSession } from '../api.js'
import { StatusBadge } from '../components/Status.js'
import { formatCost, formatDuration, formatTime, formatTokens, runDuration, totalTokens } from '../format.js'
import { useNow } from '../hooks.js'
import { linkProps, navigate } from '../router.js'
import { CostCharts } from '../run/Charts.js'
import { Compensations } from '../run/Compensations.js'
import { RunControls } from '../run/Controls.js'
import { EventLog } from '../run/EventLog.js'
import { TaskGraph } from '../run/Graph.js'
import { TaskPanel } from '../run/TaskPanel.js'
import { Timeline } from '../run/Timeline.js'
import { useRunLive } from '../run/useRunLive.js'

/** One run, live: header and controls, graph, task panel, timeline, costs, event log. */
export function RunPage({ id, task }: { id: string; task: string | undefined }) {
  const live = useRunLive(id)
  const { client } = useSession()
  const [artifacts, setArtifacts] = useState<ArtifactInfo[]>([])
  const run = live.detail?.run
  const finished = run ? isTerminalRunStatus(run.status) : false
  const now = useNow(1000, !finished)
  const tasks = live.detail?.tasks ?? []
  const taskIds = tasks.map((t) => t.taskId)
  const selected = tasks.find((t) => t.taskId === task)
  const select = (t: string | undefined) =>
    navigate(`/runs/${id}${t ? `?task=${encodeURIComponent(t)}` : ''}`, { replace: true })

  const lastSeq = run?.lastSeq ?? 0
  // biome-ignore lint/correctness/useExhaustiveDependencies: reloaded as the log grows
  useEffect(() => {
    client.runs.artifacts(id).then(setArtifacts, () => setArtifacts([]))
  }, [client, id, finished, lastSeq > 0 && Math.floor(lastSeq / 20)])

  if (!live.detail) {
    return (
      <section className="panel">
        {live.error ? (
          <p role="alert" className="error">
            {live.error}
          </p>
        ) : (
          <p className="muted">Loading run {id}…</p>
        )}
        <a {...linkProps('/')}>← Runs</a>
      </section>
    )
  }
  const r = live.detail.run
  const budget = (live.spec?.budget ?? (live.spec?.workflow as { budget?: unknown } | undefined)?.budget) as
    | { maxCostUsd?: number; maxTokens?: number }
    | undefined
  const waiting = tasks.filter((t) => t.status === 'waiting' && t.approval)

  return (
    <div className="run-page" data-run-status={r.status}>
      <header className="run-head">
        <a {...linkProps('/')} className="muted">
          ← Runs
        </a>
        <h1>
          {r.name} <StatusBadge status={r.status} />
        </h1>
        <p className="muted mono small">{r.id}</p>
        {r.parent ? (
          <p className="small">
            Subworkflow of{' '}
            <a {...linkProps(`/runs/${r.parent.runId}?task=${encodeURIComponent(r.parent.taskId)}`)}>
              {r.parent.runId}
            </a>{' '}
            (task {r.parent.taskId})
          </p>
        ) : null}
        <dl className="facts inline">
          <dt>Started</dt>
          <dd>{formatTime(r.startedAt ?? r.createdAt)}</dd>
          <dt>Duration</dt>
          <dd>{formatDuration(runDuration(r, now))}</dd>
          <dt>Tasks</dt>
          <dd>
            {r.taskCounts.succeeded ?? 0}/{r.taskCounts.total} done
          </dd>
          <dt>Tokens</dt>
          <dd>{formatTokens(totalTokens(r.usage))}</dd>
          <dt>Cost</dt>
          <dd>{formatCost(r.usage.costUsd)}</dd>
          {r.tags.length ? (
            <>
              <dt>Tags</dt>
              <dd>{r.tags.join(', ')}</dd>
            </>
          ) : null}
        </dl>
        {r.pause ? (
          <p className="notice" role="status">
            Paused ({r.pause.reason}){r.pause.message ? `: ${r.pause.message}` : ''}
            {waiting.length
              ? ` — waiting for ${waiting.map((t) => t.taskId).join(', ')}: select the task to answer.`
              : ''}
          </p>
        ) : null}
        {r.error ? (
          <p className="error" role="alert">
            {r.error.code}: {r.error.message}
            {r.error.hint ? ` — ${r.error.hint}` : ''}
          </p>
        ) : null}
        {live.error ? <p className="error">{live.error}</p> : null}
        <Compensations run={r} />
        <RunControls run={r} onChange={live.refresh} />
      </header>

      <div className={`run-main${selected ? ' with-panel' : ''}`}>
        <section className="panel graph-panel" aria-labelledby="graph-title">
          <h2 id="graph-title">Graph</h2>
          <TaskGraph
            tasks={tasks}
            selected={selected?.taskId}
            onSelect={select}
            now={now}
            fitKey={selected ? 'with-panel' : 'full'}
          />
          <ul className="task-list" aria-label="Tasks">
            {tasks.map((t) => (
              <li key={t.taskId}>
                <button
                  type="button"
                  className={`task-chip s-${t.status}`}
                  aria-pressed={t.taskId === selected?.taskId}
                  onClick={() => select(t.taskId === selected?.taskId ? undefined : t.taskId)}
                >
                  {t.taskId}: {t.status}
                </button>
              </li>
            ))}
          </ul>
        </section>
        {selected ? (
          <TaskPanel
            runId={id}
            task={selected}
            spec={live.spec}
            events={live.events}
            streaming={live.streaming[selected.taskId]}
            tasks={tasks}
            artifacts={artifacts.filter((a) => a.taskId === selected.taskId || a.taskId === undefined)}
            runFinished={finished}
            now={now}
            onClose={() => select(undefined)}
          />
        ) : null}
      </div>

      <section className="panel" aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        <Timeline events={live.events} taskIds={taskIds} now={now} live={!finished} />
      </section>

      <section className="panel" aria-labelledby="cost-title">
        <h2 id="cost-title">Tokens and cost</h2>
        <CostCharts run={r} tasks={tasks} budget={budget} />
      </section>

      <section className="panel" aria-labelledby="events-title">
        <h2 id="events-title">Events</h2>
        <EventLog events={live.events} taskIds={taskIds} connection={live.connection} />
      </section>
    </div>
  )
}
