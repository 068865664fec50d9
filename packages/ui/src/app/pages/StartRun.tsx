import type { WorkflowInfo, WorkflowInputInfo } from '@weft/api'
import { useState } from 'react'
import { useSession } from '../api.js'
import { useAction, usePolled } from '../hooks.js'
import { linkProps, navigate } from '../router.js'

/** Start a run of a workflow from the server's folder, with a form made from its declared inputs. */
export function StartRun({ workflow }: { workflow: string | undefined }) {
  const { client } = useSession()
  const { data, error } = usePolled((signal) => client.workflows.list({ signal }), [client], 0)
  const chosen = data?.items.find((w) => w.name === workflow)
  return (
    <section aria-labelledby="start-title">
      <h1 id="start-title">Start a run</h1>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
      {data && !data.folder ? (
        <p className="notice">
          This server has no workflows folder. Start it with one, e.g.{' '}
          <code>pnpm weft serve --workflows examples</code>, to start runs from this page.
        </p>
      ) : null}
      <div className="start">
        <nav className="panel workflow-list" aria-label="Workflows">
          <ul className="plain">
            {data?.items.map((w) => (
              <li key={w.file}>
                <a
                  {...linkProps(`/start?workflow=${encodeURIComponent(w.name)}`)}
                  aria-current={w.name === workflow ? 'true' : undefined}
                  data-workflow={w.name}
                >
                  <strong>{w.name}</strong>
                  {w.title && w.title !== w.name ? <span className="muted"> · {w.title}</span> : null}
                </a>
                {w.description ? <div className="muted small">{w.description}</div> : null}
                {w.error ? <div className="error small">{w.error}</div> : null}
              </li>
            ))}
            {data?.folder && data.items.length === 0 ? <li className="muted">The folder is empty.</li> : null}
          </ul>
        </nav>
        {chosen ? <StartForm key={chosen.file} workflow={chosen} /> : null}
        {!chosen && data?.items.length ? <p className="muted">Choose a workflow.</p> : null}
      </div>
    </section>
  )
}

function StartForm({ workflow }: { workflow: WorkflowInfo }) {
  const { client } = useSession()
  const action = useAction()
  const entries = Object.entries(workflow.inputs)
  const [values, setValues] = useState<Record<string, string | boolean>>(() =>
    Object.fromEntries(entries.map(([k, spec]) => [k, initial(spec)])),
  )
  const [tags, setTags] = useState('')
  const [problem, setProblem] = useState<string>()

  const submit = async () => {
    const inputs: Record<string, unknown> = {}
    for (const [k, spec] of entries) {
      const v = values[k]
      try {
        const parsed = convert(spec, v)
        if (parsed !== undefined) inputs[k] = parsed
      } catch (err) {
        setProblem(`${k}: ${(err as Error).message}`)
        return
      }
    }
    setProblem(undefined)
    const started = await action.run(() =>
      client.runs.start({
        workflowName: workflow.name,
        inputs: inputs as Record<string, never>,
        initiator: 'ui',
        ...(tags.trim()
          ? {
              tags: tags
                .split(',')
                .map((t) => t.trim())
                .filter(Boolean),
            }
          : {}),
      }),
    )
    if (started) navigate(`/runs/${started.runId}`)
  }

  return (
    <form
      className="panel start-form"
      aria-labelledby="form-title"
      onSubmit={(e) => {
        e.preventDefault()
        void submit()
      }}
    >
      <h2 id="form-title">{workflow.title ?? workflow.name}</h2>
      <p className="muted">
        {workflow.file} · {workflow.tasks} tasks
      </p>
      {entries.length === 0 ? <p className="muted">This workflow declares no inputs.</p> : null}
      {entries.map(([k, spec]) => (
        <div key={k} className="field">
          {spec.type === 'boolean' ? (
            <label className="check">
              <input
                type="checkbox"
                name={k}
                checked={values[k] === true}
                onChange={(e) => setValues((v) => ({ ...v, [k]: e.target.checked }))}
              />{' '}
              {k}
            </label>
          ) : (
            <>
              <label htmlFor={`in-${k}`}>
                {k}{' '}
                <span className="muted small">
                  ({spec.type ?? 'string'}
                  {spec.required ? ', required' : ''})
                </span>
              </label>
              {spec.type === 'object' || spec.type === 'array' || spec.type === 'json' ? (
                <textarea
                  id={`in-${k}`}
                  name={k}
                  rows={4}
                  value={String(values[k] ?? '')}
                  onChange={(e) => setValues((v) => ({ ...v, [k]: e.target.value }))}
                />
              ) : (
                <input
                  id={`in-${k}`}
                  name={k}
                  type={spec.type === 'number' || spec.type === 'integer' ? 'number' : 'text'}
                  step={spec.type === 'integer' ? 1 : 'any'}
                  required={spec.required}
                  value={String(values[k] ?? '')}
                  onChange={(e) => setValues((v) => ({ ...v, [k]: e.target.value }))}
                />
              )}
            </>
          )}
          {spec.description ? <div className="muted small">{spec.description}</div> : null}
        </div>
      ))}
      <div className="field">
        <label htmlFor="tags">Tags (comma separated)</label>
        <input id="tags" value={tags} onChange={(e) => setTags(e.target.value)} />
      </div>
      {problem ? <p className="error">{problem}</p> : null}
      {action.error ? (
        <p className="error" role="alert">
          {action.error}
        </p>
      ) : null}
      <button type="submit" disabled={action.busy || Boolean(workflow.error)}>
        Start {workflow.name}
      </button>{' '}
      <a {...linkProps('/')}>Cancel</a>
    </form>
  )
}

function initial(spec: WorkflowInputInfo): string | boolean {
  if (spec.type === 'boolean') return spec.default === true
  if (spec.default === undefined) return ''
  return typeof spec.default === 'string' ? spec.default : JSON.stringify(spec.default)
}

/** The typed value of a field; undefined leaves the input to its default. */
function convert(spec: WorkflowInputInfo, raw: string | boolean | undefined): unknown {
  if (spec.type === 'boolean') return raw === true
  const text = String(raw ?? '')
  if (text === '') return undefined
  if (spec.type === 'number' || spec.type === 'integer') {
    const n = Number(text)
    if (!Number.isFinite(n)) throw new Error('not a number')
    return n
  }
  if (spec.type === 'object' || spec.type === 'array' || spec.type === 'json') return JSON.parse(text)
  return text
}
