import type { RunSummary } from '@weft/core/contracts'
import { isTerminalRunStatus } from '@weft/core/contracts'
import { useState } from 'react'
import { useSession } from '../api.js'
import { useAction } from '../hooks.js'

/** Cancel, pause, resume, and resume with a raised budget (after a budget pause). */
export function RunControls({ run, onChange }: { run: RunSummary; onChange(): void }) {
  const { client } = useSession()
  const action = useAction()
  const [budgetUsd, setBudgetUsd] = useState('')
  const [budgetTokens, setBudgetTokens] = useState('')
  const finished = isTerminalRunStatus(run.status)
  const act = (fn: () => Promise<unknown>) => void action.run(fn).then(onChange)
  const budgetPause = run.status === 'paused' && run.pause?.reason === 'budget'
  return (
    <div className="controls">
      <div className="row" role="toolbar" aria-label="Run controls">
        <button
          type="button"
          className="danger"
          disabled={finished || action.busy || run.status === 'canceling'}
          onClick={() => act(() => client.runs.cancel(run.id, { reason: 'canceled from the web page' }))}
        >
          Cancel
        </button>
        <button
          type="button"
          disabled={run.status !== 'running' || action.busy}
          onClick={() => act(() => client.runs.pause(run.id))}
        >
          Pause
        </button>
        <button
          type="button"
          disabled={run.status !== 'paused' || run.pause?.reason === 'approval' || action.busy}
          onClick={() => act(() => client.runs.resume(run.id, {}))}
        >
          Resume
        </button>
      </div>
      {!finished ? (
        <form
          className="row budget-form"
          onSubmit={(e) => {
            e.preventDefault()
            const usd = Number(budgetUsd)
            const tokens = Number(budgetTokens)
            act(() =>
              client.runs.resume(run.id, {
                budget: {
                  ...(budgetUsd && usd > 0 ? { maxCostUsd: usd } : {}),
                  ...(budgetTokens && tokens > 0 ? { maxTokens: Math.round(tokens) } : {}),
                },
              }),
            )
          }}
        >
          <BudgetField
            label="Budget $"
            step="0.01"
            inputMode="decimal"
            value={budgetUsd}
            onChange={setBudgetUsd}
          />
          <BudgetField
            label="tokens"
            step="1"
            inputMode="numeric"
            value={budgetTokens}
            onChange={setBudgetTokens}
          />
          <button type="submit" disabled={action.busy || (!budgetUsd && !budgetTokens) || !budgetPause}>
            Raise budget and resume
          </button>
        </form>
      ) : null}
      {action.error ? (
        <p className="error" role="alert">
          {action.error}
        </p>
      ) : null}
    </div>
  )
}

/** One limit of the raised budget, kept as typed: empty (or 0) leaves that limit out. */
function BudgetField(props: {
  label: string
  step: string
  inputMode: 'decimal' | 'numeric'
  value: string
  onChange(value: string): void
}) {
  return (
    <label>
      {props.label}
      <input
        type="number"
        min="0"
        step={props.step}
        inputMode={props.inputMode}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
      />
    </label>
  )
}
