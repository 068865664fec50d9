import type { TaskState } from '@weft/core/contracts'
import { useState } from 'react'
import { useSession } from '../api.js'
import { useAction } from '../hooks.js'

/**
 * Answers an approval gate: the input (JSON, or plain text) becomes the task's output. Reject
 * cancels the run, with the reason recorded.
 */
export function ApprovalForm({ runId, task }: { runId: string; task: TaskState }) {
  const { client } = useSession()
  const action = useAction()
  const [input, setInput] = useState('{\n  "approved": true\n}')
  const [reason, setReason] = useState('')
  const approval = task.approval!
  const parsed = parseInput(input)
  return (
    <section className="approval" aria-labelledby={`approve-${task.taskId}`}>
      <h3 id={`approve-${task.taskId}`}>Approval: {approval.message}</h3>
      <form
        onSubmit={(e) => {
          e.preventDefault()
          if (!parsed.ok) return
          void action.run(() =>
            client.runs.resume(runId, {
              token: approval.token,
              ...(parsed.value !== undefined ? { input: parsed.value } : {}),
            }),
          )
        }}
      >
        <label htmlFor={`input-${task.taskId}`}>Input (JSON; it becomes the output of {task.taskId})</label>
        <textarea
          id={`input-${task.taskId}`}
          rows={4}
          value={input}
          onChange={(e) => setInput(e.target.value)}
          aria-invalid={!parsed.ok}
        />
        {!parsed.ok ? <p className="error">{parsed.error}</p> : null}
        <label htmlFor={`reason-${task.taskId}`}>Reason (for a rejection)</label>
        <input id={`reason-${task.taskId}`} value={reason} onChange={(e) => setReason(e.target.value)} />
        <div className="row">
          <button type="submit" disabled={action.busy || !parsed.ok}>
            Approve
          </button>
          <button
            type="button"
            className="danger"
            disabled={action.busy}
            onClick={() =>
              void action.run(() =>
                client.runs.cancel(runId, {
                  reason: `rejected at ${task.taskId}${reason.trim() ? `: ${reason.trim()}` : ''}`,
                }),
              )
            }
          >
            Reject
          </button>
        </div>
        {action.error ? (
          <p className="error" role="alert">
            {action.error}
          </p>
        ) : null}
      </form>
    </section>
  )
}

function parseInput(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  if (text.trim() === '') return { ok: true, value: undefined }
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch (err) {
    return { ok: false, error: `not JSON: ${(err as Error).message}` }
  }
}
