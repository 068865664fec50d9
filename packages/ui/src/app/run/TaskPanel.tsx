import type { ArtifactInfo } from '@weft/api'
import type { TaskState, WeftEvent } from '@weft/core/contracts'
import { useEffect } from 'react'
import { useSession } from '../api.js'
import { JsonView } from '../components/JsonView.js'
import { StatusBadge } from '../components/Status.js'
import {
  formatBytes,
  formatCost,
  formatDuration,
  formatTokens,
  taskDuration,
  totalTokens,
} from '../format.js'
import { useAction } from '../hooks.js'
import { linkProps, navigate } from '../router.js'
import { ApprovalForm } from './ApprovalForm.js'
import { ContextView } from './ContextView.js'

/** Everything about one task: prompt, context, output, live text, usage, errors, artifacts, actions. */
export function TaskPanel(props: {
  runId: string
  task: TaskState
  spec: Record<string, unknown> | undefined
  events: WeftEvent[]
  streaming: string | undefined
  /** Every task of the run, to fill `${{ tasks.<id>.output }}` in the prompt. */
  tasks: TaskState[]
  artifacts: ArtifactInfo[]
  runFinished: boolean
  now: number
  onClose(): void
}) {
  const { task: t, spec, onClose } = props
  // Escape closes the panel, unless it is editing a field.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null
      if (e.key !== 'Escape' || target?.closest('input, textarea, select')) return
      onClose()
    }
    document.addEventListener('keydown', onKey)
    return () => document.removeEventListener('keydown', onKey)
  }, [onClose])
  const { client } = useSession()
  const rerun = useAction()
  const download = useAction()
  const taskSpec = taskSpecOf(spec, t.taskId)
  const context = props.events.filter(
    (e) => e.taskId === t.taskId && (e.type === 'context.built' || e.type === 'context.compacted'),
  )
  const messages = props.events.filter((e) => e.taskId === t.taskId && e.type === 'agent.message')
  // What the last attempt was sent, as the runtime recorded it; else the template filled in here.
  const started = props.events.findLast((e) => e.taskId === t.taskId && e.type === 'task.started')
  const sent = started?.data as { prompt?: unknown; promptTruncated?: unknown } | undefined
  const prompt =
    typeof sent?.prompt === 'string'
      ? `${sent.prompt}${sent.promptTruncated ? '\n… (cut at 16 KiB)' : ''}`
      : typeof taskSpec?.prompt === 'string'
        ? renderPrompt(taskSpec.prompt, spec, props.tasks)
        : undefined
  const tools = props.events.filter((e) => e.taskId === t.taskId && e.type.startsWith('tool.'))

  const save = (a: ArtifactInfo) =>
    download.run(async () => {
      // Fetched with the key (a plain link could not send it), then saved from a blob URL.
      const file = await client.runs.artifact(props.runId, a.name)
      const url = URL.createObjectURL(new Blob([file.data as BlobPart], { type: file.contentType }))
      const link = document.createElement('a')
      link.href = url
      link.download = a.name.split('/').pop() ?? a.name
      link.click()
      setTimeout(() => URL.revokeObjectURL(url), 10_000)
    })

  return (
    <aside className="task-panel panel" aria-labelledby="task-title" data-task-panel={t.taskId}>
      <div className="title-row">
        <h2 id="task-title">
          {t.taskId} <StatusBadge status={t.status} />
        </h2>
        <button type="button" className="ghost" onClick={props.onClose} aria-label="Close the task panel">
          ✕
        </button>
      </div>
      <dl className="facts">
        <dt>Backend</dt>
        <dd>{t.backend ?? '–'}</dd>
        <dt>Attempts</dt>
        <dd>{t.attempt}</dd>
        <dt>Duration</dt>
        <dd>{formatDuration(taskDuration(t, props.now))}</dd>
        <dt>Tokens</dt>
        <dd>
          {formatTokens(totalTokens(t.usage))}
          {t.usage ? ` (in ${t.usage.inputTokens}, out ${t.usage.outputTokens})` : ''}
        </dd>
        <dt>Cost</dt>
        <dd>{formatCost(t.usage?.costUsd)}</dd>
        {t.estimate ? (
          <>
            <dt>Estimated</dt>
            <dd>
              {formatTokens(t.estimate.inputTokens + t.estimate.outputTokens)} tokens,{' '}
              {formatCost(t.estimate.costUsd)}
            </dd>
          </>
        ) : null}
      </dl>

      {t.childRunId ? (
        <p>
          Subworkflow run: <a {...linkProps(`/runs/${t.childRunId}`)}>{t.childRunId}</a>
        </p>
      ) : null}
      {t.map ? <p className="muted">Mapped into {t.map.items} items.</p> : null}
      {t.parent !== undefined ? (
        <section>
          <h3>
            Item {t.index ?? '?'} of {t.parent}
          </h3>
          {t.item !== undefined ? <JsonView value={t.item} depth={1} /> : null}
        </section>
      ) : null}

      {t.status === 'waiting' && t.approval ? <ApprovalForm runId={props.runId} task={t} /> : null}

      {t.error ? (
        <section className="error-box" role="alert">
          <h3>Error: {t.error.code}</h3>
          <p>{t.error.message}</p>
          {t.error.hint ? <p className="hint">Hint: {t.error.hint}</p> : null}
        </section>
      ) : null}
      {t.reason ? <p className="muted">Reason: {t.reason}</p> : null}

      {prompt !== undefined ? (
        <section>
          <h3>Prompt{typeof sent?.prompt === 'string' ? ' (as sent)' : ''}</h3>
          <pre className="prompt">{prompt}</pre>
        </section>
      ) : null}

      {context.length ? (
        <section>
          <h3>Context</h3>
          <ContextView events={context} />
        </section>
      ) : null}

      {props.streaming || (t.status === 'running' && !t.text) ? (
        <section>
          <h3>Text {t.status === 'running' ? '(live)' : ''}</h3>
          <pre className="stream" aria-live="polite">
            {props.streaming || '…'}
          </pre>
        </section>
      ) : null}

      {t.output !== undefined ? (
        <section>
          <h3>Output</h3>
          <JsonView value={t.output} />
        </section>
      ) : null}
      {t.text && t.text !== t.output ? (
        <section>
          <h3>Text</h3>
          <pre className="stream">{t.text}</pre>
        </section>
      ) : null}

      {messages.length || tools.length ? (
        <section>
          <h3>Messages and tools</h3>
          <ul className="plain">
            {[...messages, ...tools]
              .sort((a, b) => a.seq - b.seq)
              .map((e) => (
                <li key={e.seq}>
                  <span className="mono">{e.type}</span> {JSON.stringify(e.data).slice(0, 300)}
                </li>
              ))}
          </ul>
        </section>
      ) : null}

      <section>
        <h3>Artifacts</h3>
        {props.artifacts.length === 0 ? (
          <p className="muted">None.</p>
        ) : (
          <ul className="plain">
            {props.artifacts.map((a) => (
              <li key={a.name}>
                <button type="button" className="link" onClick={() => void save(a)}>
                  {a.name}
                </button>{' '}
                <span className="muted">
                  {formatBytes(a.size)}
                  {a.contentType ? `, ${a.contentType}` : ''}
                </span>
              </li>
            ))}
          </ul>
        )}
        {download.error ? <p className="error">{download.error}</p> : null}
      </section>

      <section className="row">
        <button
          type="button"
          disabled={rerun.busy}
          onClick={() =>
            void rerun
              .run(() => client.runs.rerun(props.runId, { from: t.taskId }))
              .then((r) => r && navigate(`/runs/${r.runId}`))
          }
        >
          Rerun from {t.taskId}
        </button>
        {rerun.error ? <span className="error">{rerun.error}</span> : null}
      </section>
    </aside>
  )
}

function taskSpecOf(spec: Record<string, unknown> | undefined, taskId: string) {
  const workflow = spec?.workflow as { tasks?: Record<string, Record<string, unknown>> } | undefined
  return workflow?.tasks?.[taskId]
}

/**
 * The prompt as the task saw it, near enough: `${{ inputs.x }}` and `${{ tasks.y.output }}` /
 * `.text` filled from the run's inputs and the upstream tasks' results; other templates (paths
 * into outputs, expressions) are shown as written.
 */
function renderPrompt(prompt: string, spec: Record<string, unknown> | undefined, tasks: TaskState[]): string {
  const declared = (spec?.workflow as { inputs?: Record<string, { default?: unknown }> } | undefined)?.inputs
  const defaults = Object.fromEntries(
    Object.entries(declared ?? {}).flatMap(([k, d]) => (d?.default !== undefined ? [[k, d.default]] : [])),
  )
  const inputs = { ...defaults, ...(spec?.inputs as Record<string, unknown> | undefined) }
  const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v))
  return prompt
    .replace(/\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}/g, (m, k: string) =>
      k in inputs ? show(inputs[k]) : m,
    )
    .replace(/\$\{\{\s*tasks\.([A-Za-z0-9_-]+)\.(output|text)\s*\}\}/g, (m, id: string, field: string) => {
      const t = tasks.find((x) => x.taskId === id)
      const v = field === 'output' ? t?.output : t?.text
      return v === undefined ? m : show(v)
    })
}
